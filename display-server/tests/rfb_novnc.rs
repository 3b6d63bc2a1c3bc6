//! noVNC (npm `@novnc/novnc`) in Debian's headless Chromium, driven by playwright-core
//! (`testkit/web/novnc.mjs`), against the display's RFB endpoint over its WebSocket upgrade:
//! the canvas equals the server's screen; a click raises notepad and typed text reaches it;
//! a wrong password is refused.
//!
//! noVNC always sends a quality level, which lets a Tight server send JPEG. The exact
//! comparison takes it (and JPEG) out of noVNC's SetEncodings, so the server must stay
//! lossless; with noVNC's own settings (quality 6), the canvas is held to a PSNR floor.
//!
//! Skipped (saying so) without node, the npm packages or Chromium, unless
//! `NETUI_REQUIRE_XVFB` is set, as `.ci/run` sets it.

use std::time::{Duration, Instant};

use netui::Size;
use netui_testkit::peers::{psnr, wait_same, write_pair, Desktop, NoVnc};
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
    wait_same(
        "noVNC's canvas",
        || page.image(&scratch),
        || desktop.screen(),
    );

    let (x, y) = Desktop::NOTEPAD_ONLY;
    page.click(x, y);
    desktop.wait_notepad_raised("a click in noVNC");

    let text = "Hello, noVNC 1.7! web_socket (ok)";
    page.type_text(text);
    page.key("Control+s");
    desktop.wait_saved("typed into noVNC", text);
    wait_same(
        "noVNC's canvas after typing",
        || page.image(&scratch),
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
