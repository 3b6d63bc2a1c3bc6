//! vncdotool (PyPI), a scripted RFB client, against the display's RFB endpoint: a capture
//! with each encoding it decodes equals the server's screen; a wrong password is refused; a
//! view-only connection's pointer and keys change nothing, where the full password's do.
//!
//! Skipped (saying so) without vncdotool, unless `NETUI_REQUIRE_XVFB` is set, as `.ci/run`
//! sets it.

use std::time::Duration;

use netui::Size;
use netui_testkit::peers::{wait_same, Desktop, Vncdo, VNCDO_ENCODINGS};
use netui_testkit::server::{RFB_PASSWORD, RFB_VIEW_PASSWORD};

#[test]
fn a_capture_in_every_encoding_equals_the_screen() {
    let Some(vncdo) = Vncdo::find() else { return };
    let desktop = Desktop::start(4, Size::new(800, 600));
    let addr = desktop.display.rfb_addr();
    // Raw, CopyRect, Hextile and ZRLE are the server's; RRE and CoRRE are not, so the server
    // answers those with Raw (which RFB always allows).
    for encoding in VNCDO_ENCODINGS {
        let file = desktop.display.dir.path().join(format!("{encoding}.png"));
        wait_same(
            &format!("vncdo's capture with {encoding}"),
            || {
                vncdo
                    .capture(addr, RFB_PASSWORD, encoding, &file)
                    .unwrap_or_else(|e| panic!("{encoding}: {e}"))
            },
            || desktop.screen(),
        );
    }
}

#[test]
fn a_wrong_password_is_refused() {
    let Some(vncdo) = Vncdo::find() else { return };
    let desktop = Desktop::start(5, Size::new(800, 600));
    let file = desktop.display.dir.path().join("never.png");
    let out = vncdo.run(
        desktop.display.rfb_addr(),
        "not-the-pw",
        "RAW",
        &["capture", file.to_str().expect("a UTF-8 path")],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a wrong password let vncdo in");
    assert!(stderr.to_lowercase().contains("authentication"), "{stderr}");
    assert!(
        !file.exists(),
        "vncdo captured the screen without the password"
    );
}

#[test]
fn view_only_input_changes_nothing_and_full_input_does() {
    let Some(vncdo) = Vncdo::find() else { return };
    let mut desktop = Desktop::start(6, Size::new(800, 600));
    let addr = desktop.display.rfb_addr();
    let (x, y) = Desktop::NOTEPAD_ONLY;
    let (x, y) = (x.to_string(), y.to_string());
    let input = ["move", &x, &y, "click", "1", "type", "vnc", "key", "ctrl-s"];

    // The view-only password lets vncdo see the screen...
    let file = desktop.display.dir.path().join("view-only.png");
    let before = wait_same(
        "vncdo's capture with the view-only password",
        || {
            vncdo
                .capture(addr, RFB_VIEW_PASSWORD, "ZRLE", &file)
                .unwrap_or_else(|e| panic!("{e}"))
        },
        || desktop.screen(),
    );
    // ... and not drive it. Whether the server ignores the input or closes the connection
    // for it, vncdo's exit says nothing here; the screen and the applications do.
    let _ = vncdo.run(addr, RFB_VIEW_PASSWORD, "RAW", &input);
    // Nothing to wait for when nothing happens: give the input time to have arrived, had it
    // been let through (the same input below takes well under this).
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        !desktop.notepad_raised(),
        "a view-only click raised notepad"
    );
    assert!(
        !desktop.notepad_file.exists(),
        "view-only keys reached notepad"
    );
    assert!(
        desktop.screen() == before,
        "the screen changed under view-only input"
    );

    // The same input with the full password raises notepad, types and saves.
    let out = vncdo.run(addr, RFB_PASSWORD, "RAW", &input);
    assert!(
        out.status.success(),
        "vncdo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    desktop.wait_notepad_raised("vncdo's click");
    desktop.wait_saved("vncdo's keys", "vnc");
    let file = desktop.display.dir.path().join("after.png");
    wait_same(
        "vncdo's capture after its input",
        || {
            vncdo
                .capture(addr, RFB_PASSWORD, "ZRLE", &file)
                .unwrap_or_else(|e| panic!("{e}"))
        },
        || desktop.screen(),
    );
}
