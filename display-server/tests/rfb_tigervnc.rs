//! TigerVNC's `vncviewer` (Debian tigervnc-viewer) against the display's RFB endpoint, in a
//! window under Xvfb: with lossless settings its window shows exactly the server's screen, in
//! each encoding TigerVNC prefers; a click in it raises a netui window; text typed into it
//! reaches notepad, every character; text copied on either side pastes on the other.
//!
//! Skipped (saying so) without Xvfb, xdotool, xwd or TigerVNC, unless `NETUI_REQUIRE_XVFB` is
//! set, as `.ci/run` sets it.

use std::time::{Duration, Instant};

use netui::{Selection, Size};
use netui_testkit::peers::{wait_same, Desktop, TigerVnc};
use netui_testkit::server::RFB_PASSWORD;
use netui_testkit::xvfb::Xvfb;
use netui_testkit::TestDisplay;

#[test]
fn vncviewer_shows_the_screen_and_drives_the_desktop() {
    let Some(xvfb) = Xvfb::start() else { return };
    let Some(tigervnc) = TigerVnc::find() else {
        return;
    };
    let mut desktop = Desktop::start(3, Size::new(800, 600));
    let password = TigerVnc::password_file(desktop.display.dir.path(), RFB_PASSWORD);
    let viewer = tigervnc.start(&xvfb, desktop.display.rfb_addr(), &password, "ZRLE");

    // ZRLE without JPEG is lossless: the window equals the server's screen, pixel for pixel.
    wait_same(
        "vncviewer's window",
        || viewer.image(&xvfb),
        || desktop.screen(),
    );

    // A click where notepad shows beside hello raises notepad over hello and focuses it.
    let (x, y) = Desktop::NOTEPAD_ONLY;
    xvfb.click(&viewer.window, x as i32, y as i32);
    desktop.wait_notepad_raised("a click in vncviewer");
    wait_same(
        "vncviewer's window after the click",
        || viewer.image(&xvfb),
        || desktop.screen(),
    );

    // Typed into the viewer's window (which has X's focus), then Ctrl+S: notepad saves
    // exactly the text, capitals and punctuation included.
    let text = "Hello, RFB 3.8! tiger_vnc (ok)";
    xvfb.xdotool(&["windowfocus", "--sync", &viewer.window]);
    xvfb.xdotool(&["type", "--delay", "30", text]);
    xvfb.xdotool(&["key", "--delay", "30", "ctrl+s"]);
    desktop.wait_saved("typed into vncviewer", text);
    wait_same(
        "vncviewer's window after typing",
        || viewer.image(&xvfb),
        || desktop.screen(),
    );
}

#[test]
fn vncviewer_shows_the_screen_exactly_in_tight_hextile_and_raw() {
    let Some(xvfb) = Xvfb::start() else { return };
    let Some(tigervnc) = TigerVnc::find() else {
        return;
    };
    let desktop = Desktop::start(4, Size::new(800, 600));
    let password = TigerVnc::password_file(desktop.display.dir.path(), RFB_PASSWORD);
    for encoding in ["Tight", "Hextile", "Raw"] {
        let viewer = tigervnc.start(&xvfb, desktop.display.rfb_addr(), &password, encoding);
        wait_same(
            &format!("vncviewer's window in {encoding}"),
            || viewer.image(&xvfb),
            || desktop.screen(),
        );
    }
}

/// VeNCrypt (issue 13): TigerVNC's vncviewer asks for X509Vnc only, trusts the display's
/// certificate as its CA, and shows the screen exactly through TLS.
#[test]
fn vncviewer_over_vencrypt_x509vnc_shows_the_screen() {
    let Some(xvfb) = Xvfb::start() else { return };
    let Some(tigervnc) = TigerVnc::find() else {
        return;
    };
    let size = Size::new(640, 480);
    let display = netui_testkit::TestDisplay::start_with_rfb_tls(":vencrypt", size);
    let mut app = display.connect("app");
    let w = app
        .create_window(
            netui::Rect::new(40, 40, 400, 200),
            "over VeNCrypt",
            netui::Color::WHITE,
        )
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    let password = TigerVnc::password_file(display.dir.path(), RFB_PASSWORD);
    let cert = display.tls_cert();
    let ca = cert.to_str().expect("a UTF-8 path");
    let viewer = tigervnc.start_with(
        &xvfb,
        display.rfb_addr(),
        &password,
        "ZRLE",
        &["-SecurityTypes", "X509Vnc", "-X509CA", ca],
    );
    wait_same(
        "vncviewer's window over VeNCrypt",
        || viewer.image(&xvfb),
        || netui_testkit::peers::screen(&display, size),
    );
}

#[test]
fn vncviewer_carries_utf8_text_both_ways_through_the_extended_clipboard() {
    // TigerVNC's viewer speaks the Extended Clipboard: text it copies from its own X display
    // arrives on the netui display, and text copied in a netui application reaches its X
    // display, UTF-8 and line ends intact.
    let Some(xvfb) = Xvfb::start() else { return };
    let Some(tigervnc) = TigerVnc::find() else {
        return;
    };
    if !Xvfb::has_xclip() {
        return;
    }
    let display = TestDisplay::numbered_with_rfb(4, Size::new(640, 480));
    let password = TigerVnc::password_file(display.dir.path(), RFB_PASSWORD);
    let viewer = tigervnc.start(&xvfb, display.rfb_addr(), &password, "ZRLE");
    // The viewer looks at its X display's clipboard while its window has the focus.
    xvfb.xdotool(&["windowfocus", "--sync", &viewer.window]);
    let mut app = display.connect("app");
    let until = |what: &str, done: &mut dyn FnMut() -> bool| {
        let end = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < end, "{what} never happened");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    let from_x = "Grüße from TigerVNC's X display,\nline two €";
    let _xclip = xvfb.copy_text(from_x);
    until("the viewer's clipboard reaching the display", &mut || {
        app.paste_text(Selection::Clipboard)
            .expect("paste")
            .as_deref()
            == Some(from_x)
    });

    let from_netui = "Ünïcödé copied in netui\nsecond line";
    app.set_selection_text(Selection::Clipboard, from_netui)
        .expect("copy");
    until(
        "the display's clipboard reaching the viewer's X display",
        &mut || {
            // The application answers the viewer's request while it waits for events.
            let _ = app.wait_event_timeout(Duration::from_millis(50));
            xvfb.clipboard_text() == from_netui
        },
    );
}
