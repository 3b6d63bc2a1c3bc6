//! The windowed display server under Xvfb: its window shows what the headless server
//! composites, and the mouse and keyboard of that window (driven with xdotool) reach the
//! applications through the built-in window manager.
//!
//! These tests need Xvfb, xdotool and xwd (Debian: xvfb, xdotool, x11-apps, plus the libraries
//! winit loads: libx11-xcb1, libxcursor1, libxi6, libxkbcommon-x11-0). `.ci/run` installs
//! them and sets NETUI_REQUIRE_XVFB=1; elsewhere, without Xvfb, each test says it was skipped.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Rect, ResourceId, Size};
use netui_protocol::display::socket_path;
use netui_testkit::golden::{pixel, xrgb};
use netui_testkit::layouts;
use netui_testkit::process::{KillOnDrop, Ready};
use netui_testkit::xvfb::Xvfb;
use netui_testkit::{TestDisplay, DEADLINE};

/// A netui screen window on an Xvfb, serving `:N` in a private runtime directory.
struct Screen {
    // Dropped in this order: the server, then Xvfb, then the runtime directory.
    server: Ready,
    xvfb: Xvfb,
    runtime: tempfile::TempDir,
    window: String,
}

/// The display-server program, built beside this package's programs.
fn display_server_bin() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_hello"))
        .parent()
        .expect("target dir")
        .to_owned();
    let bin = dir.join("display-server");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args([
                "build",
                "-p",
                "netui-display-server",
                "--bin",
                "display-server",
            ])
            .status()
            .expect("cargo build");
        assert!(status.success());
    }
    bin
}

impl Screen {
    /// Starts a windowed `display-server` for `:1` of the given size on a new Xvfb; `None`
    /// when the test is skipped for want of Xvfb.
    fn start(size: &str) -> Option<Screen> {
        let xvfb = Xvfb::start()?;
        let runtime = tempfile::tempdir().expect("tempdir");
        let server = Ready::start(
            Command::new(display_server_bin())
                .args(["--display", ":1", "--size", size, "--no-tcp"])
                .env("DISPLAY", xvfb.display())
                .env_remove("WAYLAND_DISPLAY")
                .env("XDG_RUNTIME_DIR", runtime.path())
                .env("RUST_LOG", "error"),
        );
        assert!(server.line.contains("window"), "{}", server.line);
        Some(Screen::find(server, xvfb, runtime, ":1"))
    }

    /// Waits for the screen window of display `name` to appear on the Xvfb.
    fn find(server: Ready, xvfb: Xvfb, runtime: tempfile::TempDir, name: &str) -> Screen {
        let window = xvfb.find_window(&format!("^netui {name}$"));
        Screen {
            server,
            xvfb,
            runtime,
            window,
        }
    }

    /// Runs xdotool with the given arguments and returns its output.
    fn x(&self, args: &[&str]) -> String {
        self.xvfb.xdotool(args)
    }

    fn client(&self, name: &str) -> Display {
        let socket = socket_path(&self.runtime.path().join("netui"), 1);
        Display::connect_unix(&socket, name).expect("client connects")
    }

    /// Waits until `check` holds for the X window's pixels.
    fn wait_pixels(&self, what: &str, check: impl Fn(u32, u32, &[u32]) -> bool) {
        self.xvfb.wait_pixels(&self.window, what, check);
    }

    /// Moves the pointer inside the screen window and clicks.
    fn click(&self, x: i32, y: i32) {
        self.xvfb.click(&self.window, x, y);
    }
}

fn rgb(c: Color) -> u32 {
    c.to_xrgb()
}

/// Waits for an event that `want` accepts, skipping others.
fn wait_for(display: &mut Display, want: impl Fn(&Event) -> bool) -> Event {
    let (tx, rx) = std::sync::mpsc::channel();
    // wait_event blocks; a watchdog turns a missing event into a failure, not a hang.
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(DEADLINE).is_err() {
            eprintln!("timed out waiting for an event");
            std::process::exit(1);
        }
    });
    let event = loop {
        let event = display.wait_event().expect("event");
        if want(&event) {
            break event;
        }
    };
    let _ = tx.send(());
    let _ = watchdog.join();
    event
}

#[test]
fn the_window_shows_what_the_headless_server_composites() {
    let Some(screen) = Screen::start("800x600") else {
        return;
    };
    let _hello = KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_hello"))
            .env("XDG_RUNTIME_DIR", screen.runtime.path())
            .env("NETUI_DISPLAY", ":1"),
    );

    // The same scene on a headless server of the same size.
    let headless = TestDisplay::numbered(1, Size::new(800, 600));
    let _hello2 = KillOnDrop::spawn(&mut headless.command(env!("CARGO_BIN_EXE_hello")));
    let mut reader = headless.connect("reader");
    let blue = [0x3b, 0x5b, 0x98, 255];
    let start = Instant::now();
    let expected = loop {
        let image = reader.get_image(ResourceId::ROOT, None).expect("screen");
        // hello's own title band, drawn at its first expose.
        if pixel(&image.rgba, 800, 85, 65) == blue {
            break image.rgba;
        }
        assert!(start.elapsed() < DEADLINE, "headless hello never drew");
        std::thread::sleep(Duration::from_millis(20));
    };
    let expected = xrgb(&expected);
    screen.wait_pixels("the headless rendering of hello", |w, h, pixels| {
        (w, h) == (800, 600) && pixels == expected
    });
}

#[test]
fn a_click_raises_and_a_title_bar_drag_moves() {
    let Some(screen) = Screen::start("800x600") else {
        return;
    };
    let red = Color::rgb(200, 0, 0);
    let blue = Color::rgb(0, 0, 200);
    let mut a = screen.client("a");
    let wa = a
        .create_window(Rect::new(50, 60, 200, 150), "a", red)
        .expect("window");
    a.map(wa);
    a.sync().expect("a");
    let mut b = screen.client("b");
    let wb = b
        .create_window(Rect::new(150, 120, 200, 150), "b", blue)
        .expect("window");
    b.map(wb);
    b.sync().expect("b");
    // b is on top where they overlap.
    screen.wait_pixels("b above a", |w, _, p| {
        p[(200 * w + 200) as usize] == rgb(blue)
    });

    // A click in a's uncovered corner raises it, and a gets the press in its own coordinates.
    screen.click(60, 70);
    let press = wait_for(&mut a, |e| matches!(e, Event::ButtonPress { .. }));
    assert!(
        matches!(press, Event::ButtonPress { window, pos, .. } if window == wa.0 && pos == netui::Point::new(10, 10)),
        "{press:?}"
    );
    screen.wait_pixels("a raised above b", |w, _, p| {
        p[(200 * w + 200) as usize] == rgb(red)
    });

    // Drag a by its title bar (24 pixels above its content) by (+300, +200).
    let (x, y) = (120, 60 - 12);
    screen.x(&[
        "mousemove",
        "--window",
        &screen.window,
        &x.to_string(),
        &y.to_string(),
        "mousedown",
        "1",
        "mousemove",
        "--window",
        &screen.window,
        &(x + 150).to_string(),
        &(y + 100).to_string(),
        "mousemove",
        "--window",
        &screen.window,
        &(x + 300).to_string(),
        &(y + 200).to_string(),
        "mouseup",
        "1",
    ]);
    let moved = wait_for(
        &mut a,
        |e| matches!(e, Event::Configure { rect, .. } if rect.x == 350 && rect.y == 260),
    );
    assert!(matches!(moved, Event::Configure { window, .. } if window == wa.0));
    let info = a.server_info().expect("info");
    let rect = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .find(|w| w.id == wa.0)
        .expect("a")
        .rect;
    assert_eq!(rect, Rect::new(350, 260, 200, 150));
    // The screenshot shows a at its new place, and b's area where a was.
    screen.wait_pixels("a moved", |w, _, p| {
        p[(300 * w + 400) as usize] == rgb(red) && p[(150 * w + 200) as usize] == rgb(blue)
    });
}

#[test]
fn typed_keys_reach_the_focused_application_with_their_text() {
    let Some(screen) = Screen::start("640x480") else {
        return;
    };
    let mut d = screen.client("typist");
    let w = d
        .create_window(Rect::new(40, 60, 300, 200), "typist", Color::WHITE)
        .expect("window");
    d.map(w);
    d.sync().expect("sync");
    screen.click(100, 100);
    screen.x(&["windowfocus", "--sync", &screen.window]);
    screen.x(&["type", "--delay", "20", "Hi there!"]);
    let mut typed = String::new();
    while typed.len() < "Hi there!".len() {
        if let Event::KeyPress(k) = wait_for(&mut d, |e| matches!(e, Event::KeyPress(_))) {
            assert_eq!(k.window, w.0);
            typed.push_str(&k.text);
        }
    }
    assert_eq!(typed, "Hi there!");
}

#[test]
fn the_close_button_asks_then_disconnects() {
    let Some(screen) = Screen::start("640x480") else {
        return;
    };
    let mut d = screen.client("stubborn");
    let content = Rect::new(100, 100, 200, 120);
    let w = d
        .create_window(content, "stubborn", Color::WHITE)
        .expect("window");
    d.map(w);
    d.sync().expect("sync");
    let close = netui_scene::wm::close_rect(content);
    let (cx, cy) = (
        close.x + close.width as i32 / 2,
        close.y + close.height as i32 / 2,
    );
    screen.wait_pixels("the window", |w, _, p| {
        p[(150 * w + 150) as usize] == 0x00ff_ffff
    });
    screen.click(cx, cy);
    let event = wait_for(&mut d, |e| matches!(e, Event::CloseRequested { .. }));
    assert_eq!(event, Event::CloseRequested { window: w.0 });
    // The application ignores it; a second press disconnects it, as xkill would.
    screen.click(cx, cy);
    let start = Instant::now();
    loop {
        match d.wait_event() {
            Err(netui::Error::Disconnected(_)) => break,
            Ok(_) => assert!(start.elapsed() < DEADLINE, "never disconnected"),
            Err(e) => panic!("{e}"),
        }
    }
    screen.wait_pixels("the window gone", |w, _, p| {
        p[(150 * w + 150) as usize] != 0x00ff_ffff
    });
}

#[test]
fn resizing_the_host_window_resizes_the_screen() {
    let Some(screen) = Screen::start("640x480") else {
        return;
    };
    let mut d = screen.client("watcher");
    assert_eq!(d.screen_size(), Size::new(640, 480));
    screen.x(&["windowsize", "--sync", &screen.window, "900", "700"]);
    let event = wait_for(&mut d, |e| matches!(e, Event::ScreenResized { .. }));
    assert_eq!(
        event,
        Event::ScreenResized {
            size: Size::new(900, 700)
        }
    );
    assert_eq!(d.server_info().expect("info").screen, Size::new(900, 700));
    screen.wait_pixels("the desktop filling the larger window", |w, h, p| {
        (w, h) == (900, 700) && p[(699 * w + 899) as usize] == netui_scene::scene::DESKTOP.to_xrgb()
    });
}

#[test]
fn without_a_desktop_it_says_how_to_run_headless() {
    let out = Command::new(display_server_bin())
        .args(["--display", ":9", "--no-tcp"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let mut stderr = String::new();
    out.stderr
        .as_slice()
        .read_to_string(&mut stderr)
        .expect("utf-8");
    assert!(
        stderr.contains("no screen") && stderr.contains("--headless"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
}

#[test]
fn the_session_opens_its_screen_window_and_ends_on_sigterm() {
    let Some(xvfb) = Xvfb::start() else {
        return;
    };
    let runtime = tempfile::tempdir().expect("tempdir");
    // Its stdout stays open: a closed pipe would break its printing.
    let session = Ready::start(
        Command::new(env!("CARGO_BIN_EXE_netui"))
            .args(["--listen", "127.0.0.1:0", "--size", "800x600"])
            .env("DISPLAY", xvfb.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", runtime.path())
            // The display's TLS key is made here, not in the real home.
            .env("NETUI_TLS_DIR", runtime.path().join("tls")),
    );
    let ready = &session.line;
    assert!(ready.contains("(800x600 window)"), "{ready}");
    let mut screen = Screen::find(session, xvfb, runtime, ":0");
    // The launcher's bar runs along the bottom of the window.
    screen.wait_pixels("the launcher in the session", |w, h, p| {
        (w, h) == (800, 600) && p[((h - 10) * w + w - 2) as usize] == 0x001c_2028
    });
    assert!(screen.server.terminate().success());
    let rest = screen.server.rest_of_output();
    assert!(rest.contains("session on :0 ended"), "{rest}");
}

/// Types physical keys (X keycodes, as a person's fingers press them) on the screen window
/// under the X keyboard layout `layout`, into the notepad program, ends with Ctrl+S, and
/// returns what the notepad saved. `keys` are xdotool arguments: `key CODE`, or
/// `keydown CODE` / `keyup CODE` around another key for AltGr.
fn typed_into_notepad(layout: &str, keys: &[&str]) -> Option<String> {
    let screen = Screen::start("800x600")?;
    if !layouts::set_layout(&screen.xvfb, layout) {
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("typed.txt");
    let _notepad = KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_notepad"))
            .arg(&path)
            .env("NETUI_DISPLAY", ":1")
            .env("XDG_RUNTIME_DIR", screen.runtime.path())
            .env("RUST_LOG", "error"),
    );
    layouts::wait_for_the_notepad(&mut screen.client("watcher"));
    screen.x(&["windowfocus", "--sync", &screen.window]);
    let how = format!("Ctrl+S under {layout}");
    let saved = layouts::type_and_save(&screen.xvfb, &screen.window, keys, &path, &how);
    Some(saved)
}

#[test]
fn a_german_keyboard_types_its_own_characters_and_ctrl_s_saves() {
    typed_in(&layouts::GERMAN);
}

#[test]
fn a_french_keyboard_types_its_own_characters_and_ctrl_s_saves() {
    typed_in(&layouts::FRENCH);
}

#[test]
fn a_russian_keyboard_types_cyrillic_and_ctrl_s_still_saves() {
    typed_in(&layouts::RUSSIAN);
}

/// Types `layout`'s keys into notepad through the windowed server, and checks what it saved.
fn typed_in(layout: &layouts::Layout) {
    let Some(saved) = typed_into_notepad(layout.name, layout.keys) else {
        return;
    };
    assert_eq!(saved, layout.typed, "under {}", layout.name);
}
