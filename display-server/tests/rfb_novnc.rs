//! noVNC (npm `@novnc/novnc`) in Debian's headless Chromium, driven by playwright-core
//! (`testkit/web/novnc.mjs`), against the display's RFB endpoint over its WebSocket upgrade:
//! the canvas equals the server's screen; a click raises notepad and typed text reaches it;
//! a wrong password is refused. The same over `wss://`, with the display's certificate,
//! which the browser trusts by its key's pin and refuses without it.
//!
//! noVNC always sends a quality level, which lets a Tight server send JPEG. The exact
//! comparison takes it (and JPEG) out of noVNC's SetEncodings, so the server must stay
//! lossless; with noVNC's own settings (quality 6), the canvas is held to a PSNR floor.
//!
//! Skipped (saying so) without node, the npm packages or Chromium, unless
//! `NETUI_REQUIRE_XVFB` is set, as `.ci/run` sets it.

use std::path::Path;
use std::time::{Duration, Instant};

use netui::Size;
use netui_testkit::peers::{psnr, spki_pin, wait_same, write_pair, Desktop, NoVnc, NoVncPage};
use netui_testkit::server::RFB_PASSWORD;
use netui_testkit::DEADLINE;

/// The least PSNR of noVNC's canvas with JPEG at its default quality (6): far below what
/// JPEG at that quality gives a desktop (above 30 dB), far above a wrong picture (under 15).
const JPEG_PSNR_FLOOR: f64 = 25.0;

#[test]
fn novnc_shows_the_screen_exactly_and_drives_the_desktop() {
    let Some(novnc) = NoVnc::find() else { return };
    let mut desktop = Desktop::start(7, Size::new(800, 600));
    let scratch = desktop.display.dir.path().join("canvas.rgba");
    let mut page = novnc
        .connect(desktop.display.rfb_addr(), RFB_PASSWORD, true)
        .unwrap_or_else(|e| panic!("noVNC did not connect: {e}"));
    assert_eq!(page.size, (800, 600));
    shows_and_drives(
        &mut page,
        &mut desktop,
        &scratch,
        "noVNC",
        "Hello, noVNC 1.7! web_socket (ok)",
    );
}

/// noVNC's canvas equals the screen; a click in it raises notepad, and `text` typed into it
/// and saved reaches notepad's file; the canvas equals the screen again. `how` names the
/// viewer in failures.
fn shows_and_drives(
    page: &mut NoVncPage,
    desktop: &mut Desktop,
    scratch: &Path,
    how: &str,
    text: &str,
) {
    wait_same(
        &format!("{how}'s canvas"),
        || page.image(scratch),
        || desktop.screen(),
    );
    let (x, y) = Desktop::NOTEPAD_ONLY;
    page.click(x, y);
    desktop.wait_notepad_raised(&format!("a click in {how}"));
    page.type_text(text);
    page.key("Control+s");
    desktop.wait_saved(&format!("typed into {how}"), text);
    wait_same(
        &format!("{how}'s canvas after typing"),
        || page.image(scratch),
        || desktop.screen(),
    );
}

#[test]
fn novnc_with_its_own_quality_is_close_and_a_wrong_password_is_refused() {
    let Some(novnc) = NoVnc::find() else { return };
    let desktop = Desktop::start(8, Size::new(800, 600));
    let addr = desktop.display.rfb_addr();
    let scratch = desktop.display.dir.path().join("canvas.rgba");
    {
        let mut page = novnc
            .connect(addr, RFB_PASSWORD, false)
            .unwrap_or_else(|e| panic!("noVNC did not connect: {e}"));
        let start = Instant::now();
        loop {
            let (canvas, screen) = (page.image(&scratch), desktop.screen());
            let db = psnr(&canvas.rgba, &screen.rgba);
            if db >= JPEG_PSNR_FLOOR {
                break;
            }
            if start.elapsed() > DEADLINE {
                let (a, e) = write_pair("novnc-default-quality", &canvas, &screen);
                panic!(
                    "noVNC's canvas at its default quality: {db:.1} dB; see {} and {}",
                    a.display(),
                    e.display()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    match novnc.connect(addr, "not-the-pw", true) {
        Ok(_) => panic!("noVNC connected with a wrong password"),
        Err(e) => assert!(e.contains("security failure"), "{e}"),
    }
}

#[test]
fn novnc_over_wss_shows_the_screen_exactly_and_drives_the_desktop() {
    let Some(novnc) = NoVnc::find() else { return };
    let mut desktop = Desktop::start_with_tls(9, Size::new(800, 600));
    let addr = desktop.display.rfb_addr();
    let pin = spki_pin(&desktop.display.tls_cert());
    let scratch = desktop.display.dir.path().join("canvas.rgba");

    // A browser that trusts another key refuses the display's certificate: no viewer.
    let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    match novnc.connect_wss(addr, other, RFB_PASSWORD, true) {
        Ok(_) => panic!("noVNC connected over wss:// to a certificate it does not trust"),
        Err(e) => assert!(
            e.contains("connection lost") || e.contains("disconnected"),
            "{e}"
        ),
    }

    let mut page = novnc
        .connect_wss(addr, &pin, RFB_PASSWORD, true)
        .unwrap_or_else(|e| panic!("noVNC did not connect over wss://: {e}"));
    assert_eq!(page.size, (800, 600));
    let info = desktop.client.server_info().expect("server info");
    let peers: Vec<_> = info.clients.iter().map(|c| c.peer.as_str()).collect();
    assert!(
        peers.iter().any(|p| p.starts_with("rfb+wss ")),
        "a viewer over wss:// among {peers:?}"
    );
    shows_and_drives(
        &mut page,
        &mut desktop,
        &scratch,
        "noVNC over wss://",
        "Sealed: wss:// (TLS 1.3)",
    );
    drop(page);

    // The display that serves wss:// still serves ws://, as it serves bare RFB beside
    // VeNCrypt (the RFB port's one rule: TLS offered, the VNC password always asked).
    let page = novnc
        .connect(addr, RFB_PASSWORD, true)
        .unwrap_or_else(|e| panic!("noVNC did not connect over ws://: {e}"));
    assert_eq!(page.size, (800, 600));
}
