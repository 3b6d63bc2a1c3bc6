//! Every demo behaves as an application should, as a real process on a headless display: it
//! maps a window and draws, survives a resize by the window manager, exits cleanly on
//! close-request, and exits with a clear message when the display goes away.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Headless;
use netui::{Button, Display, InputEvent, Point, Size, WindowKind};

const DEADLINE: Duration = Duration::from_secs(20);

fn press(d: &mut Display, at: Point, to: Point) {
    d.inject(InputEvent::PointerMoved(at));
    d.inject(InputEvent::Button {
        button: Button::Left,
        pressed: true,
    });
    d.inject(InputEvent::PointerMoved(to));
    d.inject(InputEvent::Button {
        button: Button::Left,
        pressed: false,
    });
    d.sync().expect("injected");
}

fn wait_window(d: &mut Display) -> netui_protocol::WindowInfo {
    let start = Instant::now();
    loop {
        let info = d.server_info().expect("info");
        if let Some(w) = info
            .clients
            .iter()
            .flat_map(|c| &c.windows)
            .find(|w| w.mapped && w.kind == WindowKind::Normal)
        {
            return w.clone();
        }
        assert!(start.elapsed() < DEADLINE, "no window appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_demo_draws_resizes_and_closes_cleanly() {
    for demo in demos::catalog() {
        let server = Headless::start(Size::new(1280, 800));
        let mut child = server
            .command(env!("CARGO_BIN_EXE_netui"))
            .arg(demo.name)
            .current_dir(server.runtime.path())
            .stderr(Stdio::piped())
            .spawn()
            .expect("demo starts");
        let mut d = server.client("driver");
        let window = wait_window(&mut d);
        // Resize by the border, then ask it to close.
        let r = window.rect;
        let corner = Point::new(r.x + r.width as i32, r.y + r.height as i32);
        press(&mut d, corner, Point::new(corner.x + 40, corner.y + 30));
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
        press(
            &mut d,
            Point::new(close.x + 3, close.y + 3),
            Point::new(close.x + 3, close.y + 3),
        );
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
        let server = Headless::start(Size::new(1280, 800));
        let child = server
            .command(env!("CARGO_BIN_EXE_netui"))
            .arg(demo.name)
            .current_dir(server.runtime.path())
            .stderr(Stdio::piped())
            .spawn()
            .expect("demo starts");
        let mut d = server.client("driver");
        wait_window(&mut d);
        drop(d);
        let Headless { handle, runtime } = server;
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
