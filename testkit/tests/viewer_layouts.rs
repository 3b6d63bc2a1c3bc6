//! Keyboard layouts through the thin client's window (issue 14): under Xvfb with an X
//! keyboard layout set by `setxkbmap` (Debian: x11-xkb-utils), physical key presses on the
//! viewer's window reach the notepad on the viewed display as the layout's characters (dead
//! keys and AltGr included) on German, French and Russian keyboards, and Ctrl+S saves on
//! each.

use std::process::Command;
use std::time::{Duration, Instant};

use netui::Size;
use netui_testkit::process::{demo_program, KillOnDrop};
use netui_testkit::xvfb::Xvfb;
use netui_testkit::{TestDisplay, DEADLINE};

/// Presses `keys` (xdotool verbs with X keycodes) on the viewer's window under `layout`,
/// then Ctrl+S on the key at US S; returns what the notepad saved.
fn typed_through_the_viewer(layout: &str, keys: &[&str]) -> Option<String> {
    let xvfb = Xvfb::start()?;
    let status = Command::new("setxkbmap")
        .args(["-display", xvfb.display(), layout])
        .status();
    if status.is_err() {
        assert!(
            std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
            "NETUI_REQUIRE_XVFB is set but setxkbmap is not installed"
        );
        eprintln!("SKIPPED: setxkbmap is not installed (apt-get install x11-xkb-utils)");
        return None;
    }
    let server = TestDisplay::numbered(1, Size::new(800, 600));
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("typed.txt");
    let _notepad = KillOnDrop::spawn(server.command(demo_program("notepad")).arg(&path));
    let mut watcher = server.connect("watcher");
    let end = Instant::now() + DEADLINE;
    loop {
        let info = watcher.server_info().expect("info");
        if info
            .clients
            .iter()
            .flat_map(|c| &c.windows)
            .any(|w| w.title.contains("Notepad") && w.focused)
        {
            break;
        }
        assert!(Instant::now() < end, "the notepad never had the focus");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _viewer = KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .args([":1", "--mode", "pixels", "--clipboard", "off"])
            .env("DISPLAY", xvfb.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", server.dir.path()),
    );
    let window = xvfb.find_window("^netui viewer :1$");
    xvfb.xdotool(&["windowfocus", "--sync", &window]);
    // Wait until the viewer is attached (a second client beside the notepad and watcher).
    let end = Instant::now() + DEADLINE;
    while watcher.server_info().expect("info").clients.len() < 3 {
        assert!(Instant::now() < end, "the viewer never connected");
        std::thread::sleep(Duration::from_millis(50));
    }
    for step in keys {
        let (verb, code) = step.split_once(' ').expect("VERB CODE");
        xvfb.xdotool(&[verb, "--window", &window, code]);
        std::thread::sleep(Duration::from_millis(30));
    }
    xvfb.xdotool(&["keydown", "--window", &window, "Control_L"]);
    xvfb.xdotool(&["key", "--window", &window, "39"]);
    xvfb.xdotool(&["keyup", "--window", &window, "Control_L"]);
    let end = Instant::now() + DEADLINE;
    loop {
        if let Ok(saved) = std::fs::read_to_string(&path) {
            return Some(saved);
        }
        assert!(
            Instant::now() < end,
            "the notepad never saved (Ctrl+S under {layout} through the viewer)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_german_keyboard_on_the_viewer_types_its_own_characters() {
    // Y and Z (swapped), the keys right of L (ö, ä), AltGr+E (€), AltGr+Q (@), the dead
    // acute then E (é).
    let keys = [
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
    ];
    let Some(saved) = typed_through_the_viewer("de", &keys) else {
        return;
    };
    assert_eq!(saved, "zyöä€@é");
}

#[test]
fn a_french_keyboard_on_the_viewer_types_its_own_characters() {
    // The keys at US Q and W (a and z on AZERTY), 2 (é), AltGr+E (€), and the dead
    // circumflex then E (ê); Ctrl+S after them.
    let keys = [
        "key 24",
        "key 25",
        "key 11",
        "keydown 108",
        "key 26",
        "keyup 108",
        "key 34",
        "key 26",
    ];
    let Some(saved) = typed_through_the_viewer("fr", &keys) else {
        return;
    };
    assert_eq!(saved, "azé€ê");
}

#[test]
fn a_russian_keyboard_on_the_viewer_types_cyrillic_and_ctrl_s_saves() {
    let keys = ["key 54", "key 39"];
    let Some(saved) = typed_through_the_viewer("ru", &keys) else {
        return;
    };
    assert_eq!(saved, "сы");
}
