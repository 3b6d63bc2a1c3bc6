//! The thin client's `auto` mode on a real server: a workload that favours pixels makes it
//! switch to pixels, then one that favours commands brings it back, and its picture equals
//! the server's all along the way.
//!
//! - Pixels: an application puts the same large noisy image (172 KB, more than the lz4-ctx
//!   dictionary holds) ten times a second with one pixel changed: command mode carries the
//!   image each time, pixel mode one tile.
//! - Commands: a page of text redrawn ten times a second with other made-up words, drawn off
//!   the screen (into a pixmap, as a double-buffering application draws) and copied into the
//!   window: command mode carries twenty short text requests and the copy, pixel mode every
//!   tile of the page (none of which the viewer has seen before, so neither its cache of
//!   tiles nor its stream helps, and px-tiles' drawings carry only drawing into windows).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netui::{Color, Display, ImageFormat, Rect, ResourceId, Size};
use netui_protocol::{Compression, PixelEncoding, ViewMode};
use netui_testkit::golden::{noise, xrgb};
use netui_testkit::TestDisplay;
use thin_client::auto::Kind;
use thin_client::link::LinkProfile;
use thin_client::net::Net;

const SCREEN: Size = Size::new(640, 480);
/// How long `auto` may take to make each switch (it decides on two seconds of reports,
/// confirmed by a third half second; the rest is room for a slow machine).
const SWITCH_WITHIN: Duration = Duration::from_secs(20);

const NOISE: u8 = 0;
const TEXT: u8 = 1;
const STOP: u8 = 2;

/// Draws what `phase` says, ten frames a second, until it says stop.
fn application(mut d: Display, phase: Arc<AtomicU8>) {
    let (w, h) = (240u32, 180u32);
    let noise_window = d
        .create_window(Rect::new(20, 30, w, h), "noise", Color::WHITE)
        .expect("window");
    d.map(noise_window);
    // A fixed pseudo-random image (xorshift), one pixel of which changes each frame.
    let mut image = noise((w * h * 4) as usize, 0x2545_f491);
    let mut text_window = None;
    let mut frame = 0u32;
    loop {
        match phase.load(Ordering::Relaxed) {
            NOISE => {
                let i = ((frame * 7919) % (w * h)) as usize * 4;
                image[i] = image[i].wrapping_add(97);
                d.put_image(
                    noise_window,
                    Rect::new(0, 0, w, h),
                    ImageFormat::Rgba8,
                    &image,
                );
                d.present(noise_window).expect("present");
            }
            TEXT => {
                let (window, page) = *text_window.get_or_insert_with(|| {
                    d.destroy_window(noise_window);
                    let page = Rect::new(60, 40, 420, 360);
                    let t = d.create_window(page, "text", Color::WHITE).expect("window");
                    d.map(t);
                    let pixmap = d.create_pixmap(page.size()).expect("pixmap");
                    (t, pixmap)
                });
                d.fill_rect(page, Rect::new(0, 0, 420, 360), Color::WHITE);
                for line in 0..20u32 {
                    d.text(
                        page,
                        netui::Point::new(8, 6 + line as i32 * 17),
                        netui::Font::Sans,
                        13,
                        Color::BLACK,
                        &page_line(frame, line),
                    );
                }
                d.copy_area(
                    page,
                    window,
                    Rect::new(0, 0, 420, 360),
                    netui::Point::new(0, 0),
                );
                d.present(window).expect("present");
            }
            _ => {
                d.sync().expect("sync");
                return;
            }
        }
        d.flush().expect("flush");
        frame += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A line of made-up words that no frame repeats: random letters, so that neither a tile nor
/// a row of one is anything the viewer saw before (a page of a few words repeated would be
/// found again by px-tiles' stream, and cost pixel mode little).
fn page_line(frame: u32, line: u32) -> String {
    let mut state = frame.wrapping_mul(2_654_435_761) ^ line.wrapping_mul(40_503) ^ 0x9e37;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    (0..8)
        .map(|_| {
            let len = 3 + next() % 5;
            (0..len)
                .map(|_| char::from(b'a' + (next() % 26) as u8))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Follows the display until `auto` is in `kind`, or fails after [`SWITCH_WITHIN`].
fn until(net: &mut Net, kind: Kind, what: &str) {
    let start = Instant::now();
    while net.auto().map(|a| a.mode()) != Some(kind) {
        assert!(
            start.elapsed() < SWITCH_WITHIN,
            "{what}: auto stayed in {:?}: {}",
            net.view.mode(),
            net.auto().map_or("-", |a| a.reason())
        );
        net.step(Duration::from_millis(50))
            .expect("the viewer runs");
    }
    eprintln!(
        "{what}: switched after {:.1} s: {}",
        start.elapsed().as_secs_f64(),
        net.auto().map_or("-", |a| a.reason())
    );
}

#[test]
fn auto_follows_the_workload_to_the_cheaper_mode_and_back() {
    let server = TestDisplay::start(":test", SCREEN);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let stream = netui::transport::Stream::Unix(
        std::os::unix::net::UnixStream::connect(server.socket()).expect("connect"),
    );
    let (display, link) = thin_client::connect::open_stream_with(
        &runtime,
        stream,
        None,
        "auto",
        LinkProfile::unlimited(),
        Compression::Lz4Ctx,
    )
    .expect("viewer");
    let mut net = Net::start_auto(display, link, PixelEncoding::Tiles).expect("attach");
    let phase = Arc::new(AtomicU8::new(NOISE));
    let app = server.connect("auto-workload");
    let drawing = {
        let phase = Arc::clone(&phase);
        std::thread::spawn(move || application(app, phase))
    };

    until(&mut net, Kind::Pixels, "a large image redrawn");
    // The server's Start for pixel mode follows.
    let start = Instant::now();
    while !matches!(net.view.mode(), Some(ViewMode::Pixels(_))) {
        assert!(start.elapsed() < SWITCH_WITHIN, "pixel mode never started");
        net.step(Duration::from_millis(50))
            .expect("the viewer runs");
    }
    // Commands cost more, or more than the link carries: pixels either way.
    let reason = net
        .auto()
        .map(|a| a.reason().to_owned())
        .unwrap_or_default();
    assert!(
        reason.starts_with("pixels: commands cost") || reason.starts_with("pixels: link carries"),
        "{reason}"
    );

    phase.store(TEXT, Ordering::Relaxed);
    until(&mut net, Kind::Commands, "a page of text redrawn");
    let reason = net
        .auto()
        .map(|a| a.reason().to_owned())
        .unwrap_or_default();
    assert!(reason.starts_with("commands: pixels cost"), "{reason}");

    phase.store(STOP, Ordering::Relaxed);
    drawing.join().expect("the application");
    let mut observer = server.connect("observer");
    let screen = xrgb(
        &observer
            .get_image(ResourceId::ROOT, None)
            .expect("screen")
            .rgba,
    );
    let start = Instant::now();
    while net.view.screen().pixels() != screen.as_slice() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the viewer's picture never caught up with the server's after the switches"
        );
        net.step(Duration::from_millis(50))
            .expect("the viewer runs");
    }
    assert_eq!(net.view.mode(), Some(ViewMode::Commands));
}
