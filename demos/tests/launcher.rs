//! The launcher: its bar (against a golden image), and, as a real process on a headless
//! display driven by injected clicks, starting a demo whose window then appears in the list
//! and leaves it when the demo exits.

use std::time::{Duration, Instant};

use netui::{Display, Point, Rect, Size, WindowKind};
use netui_testkit::input::click;
use netui_testkit::process::KillOnDrop;
use netui_testkit::server::wait_windows;
use netui_testkit::{assert_golden, TestDisplay};

// Wide enough for every button (the demos and Desktop) and a window list beside them.
const SCREEN: Size = Size::new(1024, 600);
const BAR: [u8; 4] = [0x1c, 0x20, 0x28, 255];

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
    let server = TestDisplay::numbered(1, SCREEN);
    let mut d = server.connect("launcher");
    let window = demos::launcher::script(&mut d, 3).expect("script");
    let image = d.get_image(window, None).expect("read");
    assert_eq!(
        image.area.size(),
        Size::new(SCREEN.width, demos::launcher::HEIGHT)
    );
    assert_golden!("launcher", &image);
}

#[test]
fn a_click_starts_a_demo_whose_window_comes_and_goes_in_the_list() {
    let server = TestDisplay::numbered(1, SCREEN);
    let _launcher = KillOnDrop::spawn(server.command(env!("CARGO_BIN_EXE_netui")).arg("launcher"));
    let mut d = server.connect("test");
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
            SCREEN.height as i32 - demos::launcher::HEIGHT as i32,
            SCREEN.width,
            demos::launcher::HEIGHT
        )
    );

    let titles = demos::launcher::button_titles();
    let layout = demos::launcher::layout(d.fonts(), SCREEN.width, &titles);
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
    d.sync().expect("injected");
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
    d.sync().expect("injected");
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
    let server = TestDisplay::numbered(1, SCREEN);
    let mut d = server.connect("target");
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

#[test]
fn the_desktop_button_opens_a_nested_desktop_with_a_launcher_of_its_own() {
    let server = TestDisplay::numbered(1, SCREEN);
    let _launcher = KillOnDrop::spawn(server.command(env!("CARGO_BIN_EXE_netui")).arg("launcher"));
    let mut d = server.connect("test");
    let windows = wait_windows(&mut d, "the bar", |w| {
        w.iter().any(|w| w.kind == WindowKind::Panel && w.mapped)
    });
    let bar = windows
        .iter()
        .find(|w| w.kind == WindowKind::Panel)
        .expect("bar")
        .rect;
    let titles = demos::launcher::button_titles();
    let layout = demos::launcher::layout(d.fonts(), SCREEN.width, &titles);
    let desktop = titles
        .iter()
        .position(|t| *t == "Desktop")
        .expect("a Desktop button");
    let button = layout.demos[desktop];
    click(
        &mut d,
        Point::new(bar.x + button.x + 5, bar.y + button.y + 5),
    );
    d.sync().expect("injected");
    // :1 is taken (the outer display): the nested one is :2, two thirds of the screen.
    let windows = wait_windows(&mut d, "the nested desktop's window", |w| {
        w.iter().any(|w| w.title == "netui :2 (nested)" && w.mapped)
    });
    let nested = windows
        .iter()
        .find(|w| w.title == "netui :2 (nested)")
        .expect("nested")
        .rect;
    assert_eq!(nested.size(), Size::new(682, 400));
    // Its own launcher runs on it, and shows on the outer screen at the window's bottom.
    let socket = server.dir.path().join("netui").join("display-2.sock");
    let mut inner = Display::connect_unix(&socket, "test").expect("the nested display");
    let inner_bar = wait_windows(&mut inner, "the nested launcher", |w| {
        w.iter().any(|w| w.kind == WindowKind::Panel && w.mapped)
    });
    assert!(inner_bar
        .iter()
        .any(|w| w.kind == WindowKind::Panel && w.rect.width == 682));
    let start = Instant::now();
    loop {
        let area = Rect::new(
            nested.x,
            nested.y + nested.height as i32 - demos::launcher::HEIGHT as i32,
            nested.width,
            demos::launcher::HEIGHT,
        );
        let shown = d
            .get_image(netui::ResourceId::ROOT, Some(area))
            .expect("outer");
        let bar = inner
            .get_image(
                netui::ResourceId::ROOT,
                Some(Rect::new(
                    0,
                    400 - demos::launcher::HEIGHT as i32,
                    682,
                    demos::launcher::HEIGHT,
                )),
            )
            .expect("inner");
        if shown.rgba == bar.rgba && bar.rgba.chunks(4).any(|p| p == BAR) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the nested launcher never showed on the outer screen"
        );
        std::thread::sleep(Duration::from_millis(30));
    }
    // Its close button ends the nested desktop.
    let close = netui_scene::wm::close_rect(nested);
    click(&mut d, Point::new(close.x + 4, close.y + 4));
    d.sync().expect("injected");
    wait_windows(&mut d, "the nested desktop gone", |w| {
        !w.iter().any(|w| w.title == "netui :2 (nested)")
    });
}
