//! The thin client's clipboard bridge under Xvfb (issue 14): the viewer's window runs on an
//! X display whose clipboard `xclip` reads and writes (Debian: xclip), and text and PNG
//! images go both ways between it and a netui application on the viewed display.
//! `--clipboard off` keeps them apart.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netui::image::{decode_png, encode_png, Rgba};
use netui::selection::PNG;
use netui::{Selection, Size};
use netui_testkit::process::KillOnDrop;
use netui_testkit::xvfb::Xvfb;
use netui_testkit::TestDisplay;

fn viewer(xvfb: &Xvfb, server: &TestDisplay, clipboard: &str) -> KillOnDrop {
    KillOnDrop::spawn(
        Command::new(env!("CARGO_BIN_EXE_thin-client-under-test"))
            .args([":1", "--clipboard", clipboard])
            .env("DISPLAY", xvfb.display())
            .env_remove("WAYLAND_DISPLAY")
            .env("XDG_RUNTIME_DIR", server.dir.path()),
    )
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < end, "{what} never happened");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_viewer_carries_text_both_ways_between_the_display_and_the_x_clipboard() {
    let Some(xvfb) = Xvfb::start() else { return };
    if !Xvfb::has_xclip() {
        return;
    }
    let server = TestDisplay::numbered(1, Size::new(640, 480));
    let _viewer = viewer(&xvfb, &server, "both");
    xvfb.find_window("^netui viewer :1$");
    let mut app = server.connect("app");
    // Wait for the bridge: its connection watches the selections.
    until("the clipboard bridge connecting", || {
        app.server_info().expect("info").clients.len() >= 3
    });

    // Copied in a netui application: the X clipboard has it.
    app.set_selection_text(Selection::Clipboard, "from netui: ünïcode ✓")
        .expect("copy");
    until("the display's text reaching the X clipboard", || {
        // The application serves the bridge's paste while it waits here.
        let _ = app.wait_event_timeout(Duration::from_millis(50));
        xvfb.clipboard_text() == "from netui: ünïcode ✓"
    });

    // Copied on the X display: the netui application pastes it.
    let _xclip = xvfb.copy_text("from X, line one\nline two");
    until("the X clipboard's text reaching the display", || {
        app.paste_text(Selection::Clipboard)
            .expect("paste")
            .as_deref()
            == Some("from X, line one\nline two")
    });
}

#[test]
fn with_clipboard_off_nothing_crosses() {
    let Some(xvfb) = Xvfb::start() else { return };
    if !Xvfb::has_xclip() {
        return;
    }
    let server = TestDisplay::numbered(1, Size::new(640, 480));
    let _viewer = viewer(&xvfb, &server, "off");
    xvfb.find_window("^netui viewer :1$");
    let mut app = server.connect("app");
    let _xclip = xvfb.copy_text("stays on X");
    app.set_selection_text(Selection::Clipboard, "stays on netui")
        .expect("copy");
    let end = Instant::now() + Duration::from_secs(2);
    while Instant::now() < end {
        let _ = app.wait_event_timeout(Duration::from_millis(50));
    }
    assert_eq!(xvfb.clipboard_text(), "stays on X");
    assert_eq!(
        app.paste_text(Selection::Clipboard)
            .expect("paste")
            .as_deref(),
        Some("stays on netui")
    );
    // Only the application and the viewer: no bridge connected.
    assert_eq!(app.server_info().expect("info").clients.len(), 2);
}

#[test]
fn the_viewer_carries_images_both_ways_pixel_exact() {
    let Some(xvfb) = Xvfb::start() else { return };
    if !Xvfb::has_xclip() {
        return;
    }
    let server = TestDisplay::numbered(1, Size::new(640, 480));
    let _viewer = viewer(&xvfb, &server, "both");
    xvfb.find_window("^netui viewer :1$");
    let mut app = server.connect("app");
    until("the clipboard bridge connecting", || {
        app.server_info().expect("info").clients.len() >= 3
    });
    let (width, height) = (37, 23);
    let rgba: Vec<u8> = (0..width * height)
        .flat_map(|i| [(i * 5) as u8, (i * 11) as u8, (i * 3) as u8, 255])
        .collect();

    // Copied in a netui application as PNG: the X clipboard offers it as image/png.
    app.set_selection(
        Selection::Clipboard,
        vec![(
            PNG.to_owned(),
            encode_png(width, height, &rgba).expect("encodes"),
        )],
    )
    .expect("copy");
    until("the display's image reaching the X clipboard", || {
        let _ = app.wait_event_timeout(Duration::from_millis(50));
        let out = Command::new("xclip")
            .args(["-selection", "clipboard", "-t", "image/png", "-o"])
            .env("DISPLAY", xvfb.display())
            .stderr(Stdio::null())
            .output()
            .expect("xclip runs");
        decode_png(&out.stdout[..]).ok()
            == Some(Rgba {
                width,
                height,
                pixels: rgba.clone(),
            })
    });

    // An image copied on the X display: the netui application pastes it as PNG.
    let other: Vec<u8> = rgba.iter().map(|v| v.wrapping_add(100) | 1).collect();
    let file = server.dir.path().join("copied.png");
    std::fs::write(&file, encode_png(width, height, &other).expect("encodes")).expect("write png");
    let _xclip = KillOnDrop::spawn(
        Command::new("xclip")
            .args(["-selection", "clipboard", "-t", "image/png", "-i", "-quiet"])
            .arg(&file)
            .env("DISPLAY", xvfb.display())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    );
    until("the X clipboard's image reaching the display", || {
        let pasted = app.paste(Selection::Clipboard, PNG).expect("paste");
        pasted.and_then(|bytes| decode_png(&bytes[..]).ok())
            == Some(Rgba {
                width,
                height,
                pixels: other.clone(),
            })
    });
}
