//! Keyboard layouts through the thin client's window (issue 14): under Xvfb with an X
//! keyboard layout set by `setxkbmap` (Debian: x11-xkb-utils), physical key presses on the
//! viewer's window reach the notepad on the viewed display as the layout's characters (dead
//! keys and AltGr included) on German, French and Russian keyboards, and Ctrl+S saves on
//! each.

use std::process::Command;
use std::time::{Duration, Instant};

use netui::Size;
use netui_testkit::layouts;
use netui_testkit::process::{demo_program, KillOnDrop};
use netui_testkit::xvfb::Xvfb;
use netui_testkit::{TestDisplay, DEADLINE};

/// Presses `keys` (xdotool verbs with X keycodes) on the viewer's window under `layout`,
/// then Ctrl+S on the key at US S; returns what the notepad saved. With `busy`, the viewer
/// is stopped while it gets the focus and the first key goes down, so that it handles the
/// focus late, with that key held.
fn typed_through_the_viewer(layout: &str, keys: &[&str], busy: bool) -> Option<String> {
    let xvfb = Xvfb::start()?;
    if !layouts::set_layout(&xvfb, layout) {
        return None;
    }
    let server = TestDisplay::numbered(1, Size::new(800, 600));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("typed.txt");
    let _notepad = KillOnDrop::spawn(server.command(demo_program("notepad")).arg(&path));
    let mut watcher = server.connect("watcher");
    layouts::wait_for_the_notepad(&mut watcher);
    let _viewer = KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .args([":1", "--mode", "pixels", "--clipboard", "off"])
            .env("DISPLAY", xvfb.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", server.dir.path()),
    );
    let window = xvfb.find_window("^netui viewer :1$");
    let signal = |name: &str| {
        let pid = xvfb.xdotool(&["getwindowpid", &window]).trim().to_owned();
        let sent = Command::new("kill").args([name, &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "kill {name} {pid}");
    };
    let mut keys = keys;
    if busy {
        signal("-STOP");
    }
    xvfb.xdotool(&["windowfocus", "--sync", &window]);
    if busy {
        let (first, rest) = keys.split_first().expect("a key");
        let code = first
            .strip_prefix("key ")
            .expect("a key, pressed and released");
        xvfb.xdotool(&["keydown", "--window", &window, code]);
        signal("-CONT");
        std::thread::sleep(Duration::from_millis(300));
        xvfb.xdotool(&["keyup", "--window", &window, code]);
        keys = rest;
    }
    // Wait until the viewer is attached (a second client beside the notepad and watcher).
    let end = Instant::now() + DEADLINE;
    while watcher.server_info().expect("info").clients.len() < 3 {
        assert!(Instant::now() < end, "the viewer never connected");
        std::thread::sleep(Duration::from_millis(50));
    }
    let how = format!("Ctrl+S under {layout} through the viewer");
    Some(layouts::type_and_save(&xvfb, &window, keys, &path, &how))
}

#[test]
fn a_german_keyboard_on_the_viewer_types_its_own_characters() {
    typed_in(&layouts::GERMAN);
}

#[test]
fn a_french_keyboard_on_the_viewer_types_its_own_characters() {
    typed_in(&layouts::FRENCH);
}

#[test]
fn a_russian_keyboard_on_the_viewer_types_cyrillic_and_ctrl_s_saves() {
    typed_in(&layouts::RUSSIAN);
}

/// winit makes up a press for each key held when the window gets the focus; a viewer that
/// handled its focus late, with the first key down, typed that key twice (CI once saved
/// "ссыц" for "сыц").
#[test]
fn a_viewer_busy_when_it_gets_the_focus_types_the_first_key_once() {
    let layout = &layouts::RUSSIAN;
    let Some(saved) = typed_through_the_viewer(layout.name, layout.keys, true) else {
        return;
    };
    assert_eq!(saved, layout.typed);
}

/// Types `layout`'s keys through the viewer, and checks what the notepad saved.
fn typed_in(layout: &layouts::Layout) {
    let Some(saved) = typed_through_the_viewer(layout.name, layout.keys, false) else {
        return;
    };
    assert_eq!(saved, layout.typed, "under {}", layout.name);
}
