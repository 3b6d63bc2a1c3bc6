//! The window manager and input routing on a headless display, driven by injected input (the
//! XTEST-like request): panels, activation, the window list, and who may inject.

use netui::{Button, Color, ErrorCode, Event, InputEvent, Key, Point, Rect, Size, WindowKind};
use netui_testkit::golden::screen_pixel;
use netui_testkit::input::{click, drag};
use netui_testkit::TestDisplay;

#[test]
fn injected_input_is_routed_like_the_screens_own() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(40, 60, 100, 80), "app", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    let mut driver = server.connect("driver");
    click(&mut driver, Point::new(50, 70));
    driver.inject(InputEvent::Key {
        key: Key::Character('x'),
        pressed: true,
        text: "x".into(),
    });
    driver.sync().expect("a local client may inject");
    let mut seen = Vec::new();
    while !seen.iter().any(|e| matches!(e, Event::KeyPress(_))) && seen.len() < 20 {
        seen.push(app.wait_event().expect("event"));
    }
    assert!(
        seen.contains(&Event::Enter {
            window: w.0,
            pos: Point::new(10, 10)
        }),
        "{seen:?}"
    );
    assert!(seen.iter().any(|e| matches!(e, Event::ButtonPress { pos, button: Button::Left, .. } if *pos == Point::new(10, 10))), "{seen:?}");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::ButtonRelease { .. })),
        "{seen:?}"
    );
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::KeyPress(k) if k.text == "x" && k.window == w.0)),
        "{seen:?}"
    );
}

#[test]
fn tcp_clients_may_not_inject() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut remote = server.connect_tcp("remote");
    remote.inject(InputEvent::PointerMoved(Point::new(1, 1)));
    let err = remote.sync().expect_err("refused");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::Access),
        "{err}"
    );
    assert!(err.to_string().contains("InjectInput"), "{err}");
}

#[test]
fn a_panel_has_no_frame_stays_on_top_and_takes_no_focus() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut bar = server.connect("bar");
    let panel = bar
        .create_window(Rect::new(0, 200, 320, 40), "bar", Color::rgb(10, 10, 10))
        .expect("window");
    bar.set_window_kind(panel, WindowKind::Panel);
    bar.map(panel);
    bar.sync().expect("sync");
    // Placed where it asked, with no title bar above it.
    assert_eq!(screen_pixel(&mut bar, 5, 205), [10, 10, 10, 255]);
    assert_eq!(
        screen_pixel(&mut bar, 5, 190),
        screen_pixel(&mut bar, 300, 5),
        "desktop above the panel"
    );
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(20, 150, 100, 100), "app", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    // The panel stays above the newer window.
    assert_eq!(screen_pixel(&mut app, 30, 210), [10, 10, 10, 255]);
    // A click on the panel reaches it, but the focus stays with the application.
    click(&mut bar, Point::new(200, 210));
    bar.sync().expect("sync");
    let info = bar.server_info().expect("info");
    let focused: Vec<_> = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .filter(|w| w.focused)
        .map(|w| w.id)
        .collect();
    assert_eq!(focused, vec![w.0]);
    let kinds: Vec<_> = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .map(|w| w.kind)
        .collect();
    assert!(kinds.contains(&WindowKind::Panel));
}

#[test]
fn a_taskbar_hears_of_window_changes_and_activates_others() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut bar = server.connect("taskbar");
    bar.watch_windows();
    bar.sync().expect("sync");
    let mut a = server.connect("a");
    let wa = a
        .create_window(Rect::new(20, 40, 100, 80), "a", Color::RED)
        .expect("window");
    a.map(wa);
    a.sync().expect("sync");
    assert_eq!(bar.wait_event().expect("event"), Event::WindowsChanged);
    let mut b = server.connect("b");
    let wb = b
        .create_window(Rect::new(60, 70, 100, 80), "b", Color::BLUE)
        .expect("window");
    b.map(wb);
    b.sync().expect("sync");
    assert_eq!(screen_pixel(&mut bar, 80, 90), [0, 0, 255, 255]);
    // Activating a (another client's window) raises and focuses it.
    bar.activate(wa.0);
    bar.sync().expect("sync");
    assert_eq!(screen_pixel(&mut bar, 80, 90), [255, 0, 0, 255]);
    let info = bar.server_info().expect("info");
    assert_eq!(info.stack.last(), Some(&wa.0));
    assert!(info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .any(|w| w.id == wa.0 && w.focused));
    // A window that goes away is news too.
    while bar.poll_event().is_some() {}
    drop(b);
    assert_eq!(bar.wait_event().expect("event"), Event::WindowsChanged);
}

#[test]
fn a_second_close_press_disconnects_a_stubborn_client() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut app = server.connect("stubborn");
    let content = Rect::new(50, 60, 120, 80);
    let w = app
        .create_window(content, "stubborn", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    let close = netui_scene::wm::close_rect(content);
    let mut driver = server.connect("driver");
    click(&mut driver, Point::new(close.x + 4, close.y + 4));
    driver.sync().expect("sync");
    let mut asked = false;
    while !asked {
        asked = app.wait_event().expect("event") == Event::CloseRequested { window: w.0 };
    }
    click(&mut driver, Point::new(close.x + 4, close.y + 4));
    driver.sync().expect("sync");
    loop {
        match app.wait_event() {
            Err(netui::Error::Disconnected(_)) => break,
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn dragging_the_border_resizes_and_exposes_the_new_area() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut app = server.connect("resizable");
    let w = app
        .create_window(Rect::new(40, 60, 100, 80), "r", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    while app.poll_event().is_some() {}
    let mut driver = server.connect("driver");
    // The right border is one pixel wide, just right of the content.
    drag(&mut driver, Point::new(140, 100), Point::new(200, 170));
    driver.sync().expect("sync");
    let mut configured = None;
    let mut exposed = Vec::new();
    while configured.is_none() {
        match app.wait_event().expect("event") {
            Event::Configure { rect, .. } => configured = Some(rect),
            Event::Expose { area, .. } => exposed.push(area),
            _ => {}
        }
    }
    assert_eq!(configured, Some(Rect::new(40, 60, 160, 110)));
    assert!(exposed.contains(&Rect::new(100, 0, 60, 110)), "{exposed:?}");
}
