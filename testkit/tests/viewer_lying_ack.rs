//! A viewer that acknowledges updates it never read, while an animation runs (issue 12): the
//! server's memory for it stays bounded. Its acknowledgements cannot run ahead of what was
//! sent, and a viewer whose outbox is backed up is sent nothing more, whatever it
//! acknowledges. Before, the server took 2 GB in 10 s for such a viewer.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui::{Color, Compression, Display, Rect, Size};
use netui_protocol::frame::{self, BatchWriter};
use netui_protocol::{ClientHello, Limits, PixelEncoding, Request, ViewMode};
use netui_testkit::TestDisplay;

const SCREEN: Size = Size::new(480, 360);
/// The most the server may hold for the viewer: the window of unacknowledged updates can
/// only be what was sent, and at most two updates (each at most a screen, raw) wait in its
/// outbox; plus a screen for the update being encoded.
const BACKLOG_BOUND: u64 = 4 * 480 * 360 * 4;
/// How much the whole process (server, animation and test) may grow meanwhile: the writer's
/// batch and the socket buffers are not in the server's count.
const RSS_GROWTH_BOUND: u64 = 128 << 20;

/// A full-window animation, so that every frame damages many pixels.
fn animate(mut d: Display, stop: Arc<AtomicBool>) {
    let w = d
        .create_window(Rect::new(0, 20, 480, 340), "animation", Color::WHITE)
        .expect("window");
    d.map(w);
    let mut t = 0u8;
    while !stop.load(Ordering::Relaxed) {
        d.fill_rect(w, Rect::new(0, 0, 480, 340), Color::rgb(t, 255 - t, t / 2));
        for i in 0..8 {
            d.fill_ellipse(
                w,
                Rect::new(i * 50 + i32::from(t % 40), 40 + i * 30, 60, 60),
                Color::rgb(200, 50, 50),
            );
        }
        if d.present(w).is_err() {
            return;
        }
        t = t.wrapping_add(1);
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn run(mode: ViewMode) {
    let server = TestDisplay::start(":test", SCREEN);
    let stop = Arc::new(AtomicBool::new(false));
    let app = server.connect("animation");
    let animation = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || animate(app, stop))
    };
    let mut observer = server.connect("observer");
    // A raw viewer: it attaches, then only ever writes acknowledgements.
    let mut liar = std::os::unix::net::UnixStream::connect(server.socket()).expect("connect");
    let hello = ClientHello::new("liar", None).with_compression(Compression::None);
    liar.write_all(&frame::encode_single(&hello).expect("hello"))
        .expect("hello");
    let send = |stream: &mut std::os::unix::net::UnixStream, request: Request| {
        let mut w = BatchWriter::new(Limits::default(), Compression::None);
        w.push(&request).expect("encodes");
        stream.write_all(&w.take_frames()).is_ok()
    };
    assert!(send(&mut liar, Request::AttachViewer { mode }));
    std::thread::sleep(Duration::from_millis(300));
    let before = rss();
    let start = Instant::now();
    let mut worst = 0;
    let mut update = 0u64;
    while start.elapsed() < Duration::from_secs(4) {
        // Acknowledge far more than was ever sent, and every number on the way.
        update += 50;
        send(&mut liar, Request::AckUpdate { update });
        send(&mut liar, Request::AckUpdate { update: u64::MAX });
        let info = observer.server_info().expect("the server still answers");
        let backlog = info
            .clients
            .iter()
            .filter(|c| c.name == "liar")
            .map(|c| c.backlog)
            .max()
            .unwrap_or(0);
        worst = worst.max(backlog);
        std::thread::sleep(Duration::from_millis(20));
    }
    let grown = rss().saturating_sub(before);
    stop.store(true, Ordering::Relaxed);
    let _ = animation.join();
    eprintln!("{mode:?}: backlog at most {worst} B, process grew by {grown} B");
    assert!(
        worst <= BACKLOG_BOUND,
        "{mode:?}: the server held {worst} bytes for a viewer that never reads"
    );
    assert!(
        grown <= RSS_GROWTH_BOUND,
        "{mode:?}: the process grew by {grown} bytes"
    );
}

#[test]
fn a_pixel_viewer_that_acknowledges_unread_updates_costs_bounded_memory() {
    run(ViewMode::Pixels(PixelEncoding::Raw));
}

#[test]
fn a_command_viewer_that_acknowledges_unread_updates_costs_bounded_memory() {
    run(ViewMode::Commands);
}
