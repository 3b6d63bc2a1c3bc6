//! The launcher: its bar (against a golden image), and, as a real process on a headless
//! display driven by injected clicks, starting a demo whose window then appears in the list
//! and leaves it when the demo exits.

mod common;

use std::time::{Duration, Instant};

use common::{assert_golden, Headless};
use netui::{Button, Display, InputEvent, Point, Rect, Size, WindowKind};

const SCREEN: Size = Size::new(800, 600);
const BAR: [u8; 4] = [0x1c, 0x20, 0x28, 255];

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn click(d: &mut Display, p: Point) {
    d.inject(InputEvent::PointerMoved(p));
    d.inject(InputEvent::Button {
        button: Button::Left,
        pressed: true,
    });
    d.inject(InputEvent::Button {
        button: Button::Left,
        pressed: false,
    });
    d.sync().expect("injected");
}

/// Waits until the server's window list satisfies `check`.
fn wait_windows(
    d: &mut Display,
    what: &str,
    check: impl Fn(&[netui_protocol::WindowInfo]) -> bool,
) -> Vec<netui_protocol::WindowInfo> {
    let start = Instant::now();
    loop {
        let windows: Vec<_> = d
            .server_info()
            .expect("info")
            .clients
            .into_iter()
            .flat_map(|c| c.windows)
            .collect();
        if check(&windows) {
            return windows;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: never happened; windows: {windows:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the launcher's window-list area shows any entry (pixels other than the bar's).
fn list_shows_entries(d: &mut Display, bar: Rect, list: Rect) -> bool {
    let area = list.translate(bar.x, bar.y);
    let image = d
        .get_image(netui::ResourceId::ROOT, Some(area))
        .expect("screen");
    image.rgba.chunks(4).any(|p| p != BAR)
}

#[test]
fn the_bar_matches_the_golden_image() {
    let server = Headless::start(SCREEN);
    let mut d = server.client("launcher");
    let window = demos::launcher::script(&mut d, 3).expect("script");
    let image = d.get_image(window, None).expect("read");
    assert_eq!(image.area.size(), Size::new(800, demos::launcher::HEIGHT));
    assert_golden("launcher", &image);
}

#[test]
fn a_click_starts_a_demo_whose_window_comes_and_goes_in_the_list() {
    let server = Headless::start(SCREEN);
    let _launcher = Killed(
        server
            .command(env!("CARGO_BIN_EXE_netui"))
            .arg("launcher")
            .spawn()
            .expect("launcher starts"),
    );
    let mut d = server.client("test");
    let windows = wait_windows(&mut d, "the bar", |w| {
        w.iter().any(|w| w.kind == WindowKind::Panel && w.mapped)
    });
    let bar = windows
        .iter()
        .find(|w| w.kind == WindowKind::Panel)
        .expect("bar")
        .rect;
    assert_eq!(
        bar,
        Rect::new(
            0,
            600 - demos::launcher::HEIGHT as i32,
            800,
            demos::launcher::HEIGHT
        )
    );

    let titles: Vec<&str> = demos::catalog().iter().map(|d| d.title).collect();
    let layout = demos::launcher::layout(&d.welcome().fonts, SCREEN.width, &titles);
    let hello = demos::catalog()
        .iter()
        .position(|d| d.name == "hello")
        .expect("hello is offered");
    let button = layout.demos[hello];
    assert!(
        !list_shows_entries(&mut d, bar, layout.windows),
        "an empty list at first"
    );

    click(
        &mut d,
        Point::new(bar.x + button.x + 5, bar.y + button.y + 5),
    );
    let windows = wait_windows(&mut d, "hello's window", |w| {
        w.iter().any(|w| w.title == demos::hello::TITLE && w.mapped)
    });
    let hello_rect = windows
        .iter()
        .find(|w| w.title == demos::hello::TITLE)
        .expect("hello")
        .rect;
    let start = Instant::now();
    while !list_shows_entries(&mut d, bar, layout.windows) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "hello never appeared in the list"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // The close button ends hello; the list empties again.
    let close = netui_scene::wm::close_rect(hello_rect);
    click(&mut d, Point::new(close.x + 4, close.y + 4));
    wait_windows(&mut d, "hello gone", |w| {
        !w.iter().any(|w| w.title == demos::hello::TITLE)
    });
    let start = Instant::now();
    while list_shows_entries(&mut d, bar, layout.windows) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "hello never left the list"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn inject_drives_the_display_from_the_command_line() {
    let server = Headless::start(SCREEN);
    let mut d = server.client("target");
    let w = d
        .create_window(Rect::new(100, 100, 200, 100), "target", netui::Color::WHITE)
        .expect("window");
    d.map(w);
    d.sync().expect("sync");
    while d.poll_event().is_some() {}
    let run = |args: &[&str]| {
        let out = server
            .command(env!("CARGO_BIN_EXE_inject"))
            .args(args)
            .output()
            .expect("inject runs");
        assert!(
            out.status.success(),
            "inject {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["click", "110", "120"]);
    run(&["type", "ok"]);
    run(&["key", "Enter"]);
    let mut typed = String::new();
    let mut pressed_at = None;
    while !typed.ends_with('\r') {
        match d.wait_event().expect("event") {
            netui::Event::ButtonPress { pos, .. } => pressed_at = Some(pos),
            netui::Event::KeyPress(k) => typed.push_str(&k.text),
            _ => {}
        }
    }
    assert_eq!(pressed_at, Some(Point::new(10, 20)));
    assert_eq!(typed, "ok\r");
}
