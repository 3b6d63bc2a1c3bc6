//! The launcher with 30,000 windows on the display (issue #12: replies that are lists are
//! bounded, and the launcher keeps working): the real launcher process on a headless
//! display, one client that makes many small windows with long titles, and then the bar, read
//! back from the screen, still shows its buttons and a window list, and a click on the list's
//! first entry still focuses that window. (About 11 s in a debug build. It once took over 13
//! minutes: the scene sorted its whole stack on every window made; `NETUI_CROWD=N` runs
//! another count.)

use std::time::{Duration, Instant};

use netui::{Color, Display, Point, Rect, ResourceId, Size, WindowKind};
use netui_testkit::input::click;
use netui_testkit::process::KillOnDrop;
use netui_testkit::server::wait_windows;
use netui_testkit::TestDisplay;

const SCREEN: Size = Size::new(1024, 768);
/// Windows made, unless `NETUI_CROWD` says otherwise (see the file's doc).
const WINDOWS: u32 = 30_000;
/// The bar's colours (`demos::launcher`'s): its background, a demo button, a window entry
/// and the focused window's entry.
const BAR: [u8; 4] = [0x1c, 0x20, 0x28, 255];
const DEMO: [u8; 4] = [0x3b, 0x42, 0x52, 255];
const ENTRY: [u8; 4] = [0x2e, 0x34, 0x40, 255];
const ACTIVE: [u8; 4] = [0x3b, 0x5b, 0x98, 255];

/// Reads `rect` of the screen.
fn screen(d: &mut Display, rect: Rect) -> Vec<[u8; 4]> {
    let image = d.get_image(ResourceId::ROOT, Some(rect)).expect("screen");
    image
        .rgba
        .chunks_exact(4)
        .map(|p| [p[0], p[1], p[2], p[3]])
        .collect()
}

/// The focused window, if any (the server lists the top of the stack first when the list
/// must be cut, and a focused window is raised).
fn focused(d: &mut Display) -> Option<ResourceId> {
    d.server_info()
        .expect("server info")
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .find(|w| w.focused)
        .map(|w| w.id)
}

#[test]
fn the_launcher_keeps_working_with_thousands_of_windows_on_the_display() {
    let count: u32 = std::env::var("NETUI_CROWD")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(WINDOWS);
    let server = TestDisplay::numbered(1, SCREEN);
    let mut launcher =
        KillOnDrop::spawn(server.command(env!("CARGO_BIN_EXE_netui")).arg("launcher"));
    let mut d = server.connect("test");
    let bar = wait_windows(&mut d, "the bar", |w| {
        w.iter().any(|w| w.kind == WindowKind::Panel && w.mapped)
    })
    .into_iter()
    .find(|w| w.kind == WindowKind::Panel)
    .expect("the bar")
    .rect;

    // Windows of 12x8 pixels from one client, each with a title of about 200 bytes, spread
    // over the screen above the bar.
    let started = Instant::now();
    let mut crowd = server.connect("crowd");
    let long = "with a title long enough to be cut in every list ".repeat(4);
    let columns = (SCREEN.width - 40) / 10;
    for i in 0..count {
        let (col, row) = (i % columns, (i / columns) % 60);
        let w = crowd
            .create_window(
                Rect::new(10 + col as i32 * 10, 30 + row as i32 * 10, 12, 8),
                &format!("window {i} {long}"),
                Color::rgb((i % 251) as u8, 0x80, 0xc0),
            )
            .expect("window");
        crowd.map(w);
    }
    crowd.sync().expect("the windows are made");
    let info = d.server_info().expect("server info");
    let listed: usize = info.clients.iter().map(|c| c.windows.len()).sum();
    assert_eq!(
        listed as u64 + u64::from(info.windows_left_out),
        u64::from(count) + 1,
        "every window is listed or counted as left out"
    );

    eprintln!(
        "{count} windows in {:.1} s; the server lists {listed}, leaves out {}",
        started.elapsed().as_secs_f64(),
        info.windows_left_out
    );

    // The launcher is alive and its bar shows its demo buttons and, once it has caught up,
    // entries for the windows.
    let titles = demos::launcher::button_titles();
    let layout = demos::launcher::layout(d.fonts(), SCREEN.width, &titles);
    let list = layout.windows.translate(bar.x, bar.y);
    let first_entry = Point::new(list.x + 4, list.y + 4);
    let start = Instant::now();
    loop {
        assert!(
            launcher
                .0
                .try_wait()
                .expect("the launcher's status")
                .is_none(),
            "the launcher ended"
        );
        let entry = screen(&mut d, Rect::new(first_entry.x, first_entry.y, 1, 1));
        if entry == [ENTRY] || entry == [ACTIVE] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the launcher never listed the windows (the list's first pixel is {entry:?})"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "the launcher listed them {:.1} s after they were made",
        start.elapsed().as_secs_f64()
    );
    let bar_pixels = screen(&mut d, bar);
    assert_eq!(
        bar_pixels[bar.width as usize + 2],
        BAR,
        "the bar's background"
    );
    for button in &layout.demos {
        let at = Point::new(bar.x + button.x + 2, bar.y + button.y + 2);
        assert_eq!(
            screen(&mut d, Rect::new(at.x, at.y, 1, 1)),
            [DEMO],
            "a demo button at {at:?}"
        );
    }

    // A click on the first entry focuses a window that was not focused before.
    let before = focused(&mut d);
    click(&mut d, first_entry);
    d.sync().expect("injected");
    let start = Instant::now();
    while focused(&mut d) == before {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the click on the list never focused its window"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        launcher
            .0
            .try_wait()
            .expect("the launcher's status")
            .is_none(),
        "the launcher ended"
    );
}
