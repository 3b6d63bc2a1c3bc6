//! A viewer on a modem link while an animation runs: the memory the server holds for it stays
//! bounded, and input still gets an answer within a bound.
//!
//! The bounds, stated: the server holds at most [`BACKLOG_BOUND`] bytes for the viewer (one
//! update in flight of at most one screen, plus, in command mode, 8 MB of waiting changes
//! before they are dropped for a snapshot); an input on the modem link (56 kbit/s, 100 ms
//! each way) is answered within [`LATENCY_BOUND`]: a round trip (0.2 s) plus the update in
//! flight ahead of the answer and the answer's own.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui::{Color, Display, InputEvent, Point, Rect, ResourceId, Size};
use netui_protocol::{PixelEncoding, ViewMode};
use netui_testkit::golden::xrgb;
use netui_testkit::TestDisplay;
use thin_client::link::LinkProfile;
use thin_client::net::{Net, NetMsg};

const SCREEN: Size = Size::new(480, 360);
const BACKLOG_BOUND: u64 = 480 * 360 * 4 + (8 << 20);
const LATENCY_BOUND: Duration = Duration::from_secs(4);

/// An animation: balls moving every 16 ms until `stop`.
fn animate(mut d: Display, stop: Arc<AtomicBool>) {
    let w = d
        .create_window(Rect::new(20, 40, 300, 200), "animation", Color::WHITE)
        .expect("window");
    d.map(w);
    let mut t = 0i32;
    while !stop.load(Ordering::Relaxed) {
        d.clear(w, None);
        for i in 0..5 {
            let x = (t * (i + 2) + i * 40) % 260;
            let y = (t * (i + 1) + i * 30) % 160;
            d.fill_ellipse(
                w,
                Rect::new(x, y, 40, 40),
                Color::rgb((i * 50) as u8, 100, 200),
            );
        }
        if d.present(w).is_err() {
            return;
        }
        t += 1;
        std::thread::sleep(Duration::from_millis(16));
    }
}

fn run(mode: ViewMode) {
    let server = TestDisplay::start(":test", SCREEN);
    let stop = Arc::new(AtomicBool::new(false));
    let app = server.connect("animation");
    let animation = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || animate(app, stop))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let stream = netui::transport::Stream::Unix(
        std::os::unix::net::UnixStream::connect(server.socket()).expect("connect"),
    );
    let profile = LinkProfile::parse("modem").expect("modem");
    let (display, link) =
        thin_client::connect::open_stream(&runtime, stream, None, "slow", profile).expect("viewer");
    let mut net = Net::start(display, link, mode).expect("attach");
    let mut observer = server.connect("observer");

    let start = Instant::now();
    let mut worst_backlog = 0;
    let mut clicked = false;
    while start.elapsed() < Duration::from_secs(8) {
        net.step(Duration::from_millis(50))
            .expect("the viewer keeps up");
        let info = observer.server_info().expect("info");
        let backlog = info
            .clients
            .iter()
            .filter(|c| c.name == "thin-client")
            .map(|c| c.backlog)
            .max()
            .unwrap_or(0);
        worst_backlog = worst_backlog.max(backlog);
        if !clicked && start.elapsed() > Duration::from_secs(3) {
            // Drag the animation by its title bar: the window manager moves it at once, and
            // the update that shows the move reflects the last of these inputs.
            for input in [
                InputEvent::PointerMoved(Point::new(100, 28)),
                InputEvent::Button {
                    button: netui::Button::Left,
                    pressed: true,
                },
                InputEvent::PointerMoved(Point::new(140, 68)),
                InputEvent::Button {
                    button: netui::Button::Left,
                    pressed: false,
                },
            ] {
                net.sender().send(NetMsg::Input(input)).expect("input");
            }
            clicked = true;
        }
    }
    let moved = observer
        .server_info()
        .expect("info")
        .clients
        .iter()
        .flat_map(|c| c.windows.clone())
        .any(|w| w.rect.origin() == Point::new(60, 80));
    stop.store(true, Ordering::Relaxed);
    let _ = animation.join();
    assert!(moved, "the drag moved the window");
    // What was merged or dropped on the way (covered drawing, stale pixels) leaves the
    // viewer's picture equal to the server's once the link catches up.
    let server_screen = xrgb(
        &observer
            .get_image(ResourceId::ROOT, None)
            .expect("screen")
            .rgba,
    );
    let caught_up = Instant::now();
    while net.view.screen().pixels() != server_screen.as_slice() {
        assert!(
            caught_up.elapsed() < Duration::from_secs(15),
            "{mode:?}: the viewer's picture never caught up with the server's"
        );
        net.step(Duration::from_millis(50))
            .expect("the viewer keeps up");
    }
    assert!(
        worst_backlog <= BACKLOG_BOUND,
        "{mode:?}: the server held {worst_backlog} bytes for a modem viewer"
    );
    let worst = net.stats.latency_ms(100.0).expect("the input was answered");
    eprintln!("{mode:?} on a modem: backlog at most {worst_backlog} B, input answered in {worst:.0} ms, {} updates", net.stats.updates);
    assert!(
        worst <= LATENCY_BOUND.as_secs_f64() * 1000.0,
        "{mode:?}: input answered after {worst} ms"
    );
}

#[test]
fn pixel_mode_on_a_modem_stays_bounded_and_responsive() {
    run(ViewMode::Pixels(PixelEncoding::DeltaLz4));
}

#[test]
fn tiles_on_a_modem_stay_bounded_and_responsive() {
    run(ViewMode::Pixels(PixelEncoding::Tiles));
}

#[test]
fn damage_lz4_on_a_modem_stays_bounded_and_responsive() {
    run(ViewMode::Pixels(PixelEncoding::DamageLz4));
}

#[test]
fn command_mode_on_a_modem_stays_bounded_and_responsive() {
    run(ViewMode::Commands);
}
