//! Every demo behaves as an application should, as a real process on a headless display: it
//! maps a window and draws, survives a resize by the window manager, exits cleanly on
//! close-request, and exits with a clear message when the display goes away.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use netui::{Display, Point, Size, WindowKind};
use netui_testkit::input::{click, drag};
use netui_testkit::server::wait_windows;
use netui_testkit::{TestDisplay, DEADLINE};

/// Starts the demo `name` on `server` (with its standard error piped).
fn start(server: &TestDisplay, name: &str) -> Child {
    server
        .command(env!("CARGO_BIN_EXE_netui"))
        .arg(name)
        .current_dir(server.dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts")
}

/// The first mapped application window.
fn wait_window(d: &mut Display) -> netui_protocol::WindowInfo {
    let normal = |w: &netui_protocol::WindowInfo| w.mapped && w.kind == WindowKind::Normal;
    let windows = wait_windows(d, "a window", |w| w.iter().any(normal));
    windows.into_iter().find(normal).expect("a window")
}

#[test]
fn every_demo_draws_resizes_and_closes_cleanly() {
    for demo in demos::catalog() {
        let server = TestDisplay::numbered(1, Size::new(1280, 800));
        let mut child = start(&server, demo.name);
        let mut d = server.connect("driver");
        let window = wait_window(&mut d);
        // Resize by the border, then ask it to close.
        let r = window.rect;
        let corner = Point::new(r.x + r.width as i32, r.y + r.height as i32);
        drag(&mut d, corner, Point::new(corner.x + 40, corner.y + 30));
        d.sync().expect("injected");
        std::thread::sleep(Duration::from_millis(200));
        let info = d.server_info().expect("info");
        let resized = info
            .clients
            .iter()
            .flat_map(|c| &c.windows)
            .find(|w| w.id == window.id)
            .map(|w| w.rect.size());
        assert_eq!(
            resized,
            Some(Size::new(r.width + 40, r.height + 30)),
            "{}: resized",
            demo.name
        );
        let grown = netui::Rect::new(r.x, r.y, r.width + 40, r.height + 30);
        let close = netui_scene::wm::close_rect(grown);
        click(&mut d, Point::new(close.x + 3, close.y + 3));
        d.sync().expect("injected");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{} did not exit on close-request",
                demo.name
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(status.success(), "{} exited with {status}", demo.name);
    }
}

#[test]
fn every_demo_says_so_when_the_display_goes_away() {
    for demo in demos::catalog() {
        let server = TestDisplay::numbered(1, Size::new(1280, 800));
        let child = start(&server, demo.name);
        let mut d = server.connect("driver");
        wait_window(&mut d);
        drop(d);
        let TestDisplay {
            server: handle,
            dir: runtime,
            ..
        } = server;
        handle.stop();
        let out = child.wait_with_output().expect("exits");
        drop(runtime);
        assert!(
            !out.status.success(),
            "{} exited successfully without its display",
            demo.name
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("connection is closed"),
            "{}: {stderr}",
            demo.name
        );
    }
}
