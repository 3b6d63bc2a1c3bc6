//! A real server, real clients over a Unix socket and TCP, and pixels read back and compared
//! with small golden images.

use netui::{Color, Display, Event, Font, ImageFormat, Point, Rect, ResourceId, Size, Window};
use netui_testkit::assert_golden;
use netui_testkit::golden::{pixel, screen_pixel};
use netui_testkit::TestDisplay;

/// Draws one of every primitive into a 160x120 window.
fn draw_scene(d: &mut Display, w: Window) {
    d.fill_rect(w, Rect::new(4, 4, 40, 24), Color::rgb(200, 30, 30));
    d.stroke_rect(w, Rect::new(50, 4, 40, 24), 2, Color::rgb(30, 120, 30));
    d.fill_ellipse(w, Rect::new(96, 4, 40, 24), Color::rgb(30, 30, 200));
    d.stroke_ellipse(w, Rect::new(96, 32, 40, 24), 1, Color::BLACK);
    d.line(w, Point::new(4, 34), Point::new(44, 54), 1, Color::BLACK);
    d.polyline(
        w,
        &[
            Point::new(50, 54),
            Point::new(60, 34),
            Point::new(70, 54),
            Point::new(80, 34),
        ],
        3,
        Color::rgb(120, 60, 0),
    );
    d.text(
        w,
        Point::new(4, 60),
        Font::Sans,
        16,
        Color::BLACK,
        "netui Ag",
    );
    d.text(
        w,
        Point::new(84, 62),
        Font::Mono,
        12,
        Color::rgb(0, 0, 160),
        "mono",
    );
    // A 16x16 RGB checker and a translucent RGBA square over the red rectangle.
    let checker: Vec<u8> = (0..16 * 16)
        .flat_map(|i| {
            if (i % 16 / 4 + i / 16 / 4) % 2 == 0 {
                [255, 255, 255]
            } else {
                [0, 0, 0]
            }
        })
        .collect();
    d.put_image(w, Rect::new(4, 84, 16, 16), ImageFormat::Rgb8, &checker);
    let glass: Vec<u8> = (0..12 * 12).flat_map(|_| [0, 0, 255, 128]).collect();
    d.put_image(w, Rect::new(30, 10, 12, 12), ImageFormat::Rgba8, &glass);
    // Copy the checker to the right, and scroll a strip within the window.
    d.copy_area(w, w, Rect::new(4, 84, 16, 16), Point::new(28, 84));
    // Clipped drawing: only the part inside the clip shows.
    d.set_clip(w, Some(Rect::new(60, 84, 20, 20)));
    d.fill_rect(w, Rect::new(50, 80, 100, 100), Color::rgb(255, 160, 0));
    d.set_clip(w, None);
}

fn open_scene(d: &mut Display) -> Window {
    let w = d
        .create_window(
            Rect::new(10, 10, 160, 120),
            "scene",
            Color::rgb(240, 240, 230),
        )
        .expect("window");
    d.map(w);
    draw_scene(d, w);
    w
}

#[test]
fn drawing_over_unix_matches_the_golden_image() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("scene");
    let w = open_scene(&mut d);
    d.sync().expect("no request failed");
    let image = d.get_image(w, None).expect("read back");
    assert_eq!(image.area, Rect::new(0, 0, 160, 120));
    assert_golden!("scene", 160, 120, &image.rgba);
    // The screen shows the window at its place, on the desktop.
    let screen = d.get_image(ResourceId::ROOT, None).expect("screen");
    assert_golden!("scene-screen", 320, 240, &screen.rgba);
}

#[test]
fn tcp_with_the_token_draws_the_same_pixels() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect_tcp("scene-tcp");
    let w = open_scene(&mut d);
    d.sync().expect("no request failed");
    let image = d.get_image(w, None).expect("read back");
    assert_golden!("scene", 160, 120, &image.rgba);
}

#[test]
fn tcp_without_or_with_a_wrong_token_is_refused_with_a_clear_message() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let addr = server.server.tcp_addr().expect("tcp");
    let missing = Display::connect_tcp(addr, None, server.tls(), "no-token").expect_err("refused");
    let text = missing.to_string();
    assert!(
        text.contains("requires a token") && text.contains("NETUI_AUTH"),
        "{text}"
    );
    let wrong = Display::connect_tcp(addr, Some(b"guess".to_vec()), server.tls(), "bad-token")
        .expect_err("refused");
    let text = wrong.to_string();
    assert!(text.contains("token does not match"), "{text}");
    // The server is unharmed.
    let mut d = server.connect_tcp("after");
    d.sync().expect("still serving");
}

#[test]
fn two_clients_stack_and_one_leaving_removes_only_its_windows() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut a = server.connect("a");
    let mut b = server.connect("b");
    let wa = a
        .create_window(Rect::new(20, 20, 100, 80), "a", Color::rgb(200, 0, 0))
        .expect("window");
    a.map(wa);
    a.sync().expect("a");
    let wb = b
        .create_window(Rect::new(60, 60, 100, 80), "b", Color::rgb(0, 0, 200))
        .expect("window");
    b.map(wb);
    b.sync().expect("b");
    // b was mapped last, so it is on top where they overlap.
    assert_eq!(screen_pixel(&mut a, 70, 70), [0, 0, 200, 255]);
    assert_eq!(screen_pixel(&mut a, 30, 30), [200, 0, 0, 255]);
    let screen = a.get_image(ResourceId::ROOT, None).expect("screen");
    assert_golden!("two-clients", 320, 240, &screen.rgba);

    drop(b);
    // Wait until the server has seen b leave.
    for _ in 0..200 {
        if a.server_info().expect("info").clients.len() == 1 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let info = a.server_info().expect("info");
    assert_eq!(info.clients.len(), 1);
    assert_eq!(info.clients[0].windows.len(), 1);
    assert_eq!(info.clients[0].windows[0].id, wa.0);
    // a's window now shows where b's was; the rest of b's area is desktop again.
    assert_eq!(screen_pixel(&mut a, 70, 70), [200, 0, 0, 255]);
    let desktop = screen_pixel(&mut a, 150, 130);
    assert_ne!(desktop, [0, 0, 200, 255]);
    assert_eq!(desktop, screen_pixel(&mut a, 300, 5));
}

#[test]
fn map_sends_expose_and_configure_sends_configure() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("events");
    let w = d
        .create_window(Rect::new(10, 40, 50, 40), "e", Color::WHITE)
        .expect("window");
    d.map(w);
    d.flush().expect("flush");
    assert_eq!(
        d.wait_event().expect("event"),
        Event::Expose {
            window: w.0,
            area: Rect::new(0, 0, 50, 40)
        }
    );
    // A newly mapped window takes the focus.
    assert_eq!(
        d.wait_event().expect("event"),
        Event::FocusIn { window: w.0 }
    );
    d.configure(w, Rect::new(5, 5, 60, 40));
    d.flush().expect("flush");
    // The new strip on the right is exposed, and the window learns its new place.
    assert_eq!(
        d.wait_event().expect("event"),
        Event::Expose {
            window: w.0,
            area: Rect::new(50, 0, 10, 40)
        }
    );
    assert_eq!(
        d.wait_event().expect("event"),
        Event::Configure {
            window: w.0,
            rect: Rect::new(5, 5, 60, 40)
        }
    );
}

#[test]
fn events_arrive_as_an_async_stream() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("async");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let w = d
            .create_window(Rect::new(10, 40, 20, 20), "a", Color::WHITE)
            .expect("window");
        d.map(w);
        d.flush().expect("flush");
        use futures_core::Stream;
        let mut events = d.events();
        let event = std::future::poll_fn(|cx| std::pin::Pin::new(&mut events).poll_next(cx)).await;
        assert!(matches!(event, Some(Ok(Event::Expose { .. }))), "{event:?}");
    });
}

#[test]
fn many_small_fills_are_merged_into_few_requests() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("merge");
    let w = d
        .create_window(Rect::new(0, 0, 100, 100), "m", Color::WHITE)
        .expect("window");
    for i in 0..1000 {
        d.fill_rect(w, Rect::new(i % 90, i / 12, 10, 10), Color::RED);
    }
    d.sync().expect("sync");
    let stats = d.stats();
    // CreateWindow, one FillRects, Sync.
    assert_eq!(stats.requests, 3, "{stats:?}");
    // Two bytes a coordinate, as X11's PolyFillRectangle: 8 a rectangle, and the request's
    // own few bytes.
    assert!(stats.payload_bytes <= 8 * 1000 + 64, "{stats:?}");
    assert_eq!(stats.round_trips, 2, "the handshake and the sync");
}

#[test]
fn millions_of_fills_without_a_flush_all_arrive() {
    // More than a frame holds, in one call and in one-rectangle calls, with no flush before
    // the sync: the batch sends it in parts as it goes, and every pixel is drawn.
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("burst");
    let side = 128u32;
    let w = d
        .create_window(Rect::new(0, 0, side, side), "b", Color::WHITE)
        .expect("window");
    let every_pixel: Vec<Rect> = (0..side * side)
        .map(|i| Rect::new((i % side) as i32, (i / side) as i32, 1, 1))
        .collect();
    let many = every_pixel.repeat(40); // 655,360 rectangles, 5 MB in one call
    for rect in &many {
        d.fill_rect(w, *rect, Color::RED);
    }
    let huge = every_pixel.repeat(160); // 2.6 M rectangles: 21 MB, over a frame's 16 MB
    d.fill_rects(w, &huge, Color::BLUE);
    d.sync().expect("sync");
    let image = d.get_image(w, None).expect("read");
    let blue = image
        .rgba
        .chunks(4)
        .filter(|p| *p == [0, 0, 255, 255])
        .count();
    assert_eq!(
        blue,
        (side * side) as usize,
        "every pixel drawn last in blue"
    );
}

#[test]
fn pixmaps_hold_pixels_that_copy_into_windows() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("pixmap");
    let w = d
        .create_window(Rect::new(0, 0, 40, 40), "p", Color::WHITE)
        .expect("window");
    let p = d.create_pixmap(Size::new(10, 10)).expect("pixmap");
    d.fill_rect(p, Rect::new(0, 0, 10, 10), Color::rgb(0, 128, 0));
    d.copy_area(p, w, Rect::new(0, 0, 10, 10), Point::new(15, 15));
    d.free_pixmap(p);
    d.sync().expect("sync");
    let image = d.get_image(w, None).expect("read");
    assert_eq!(pixel(&image.rgba, 40, 15, 15), [0, 128, 0, 255]);
    assert_eq!(pixel(&image.rgba, 40, 24, 24), [0, 128, 0, 255]);
    assert_eq!(pixel(&image.rgba, 40, 25, 25), [255, 255, 255, 255]);
    // The freed pixmap is gone.
    d.fill_rect(p, Rect::new(0, 0, 1, 1), Color::RED);
    let err = d.sync().expect_err("freed");
    assert_eq!(err.report().map(|r| r.code), Some(netui::ErrorCode::BadId));
}

#[test]
fn large_images_are_split_and_arrive_whole() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(2100, 2100));
    let mut d = server.connect("big");
    let side = 2100u32; // 2100*2100*4 bytes is more than one frame holds.
    let w = d
        .create_window(Rect::new(0, 0, side, side), "big", Color::WHITE)
        .expect("window");
    let data: Vec<u8> = (0..side * side)
        .flat_map(|i| [(i % 251) as u8, (i / side % 256) as u8, 7, 255])
        .collect();
    d.put_image(w, Rect::new(0, 0, side, side), ImageFormat::Rgba8, &data);
    d.sync().expect("sync");
    // One reply cannot hold it all either: the server says so, and halves work.
    let err = d.get_image(w, None).expect_err("too large for one reply");
    assert!(err.to_string().contains("read them in parts"), "{err}");
    let half = side / 2;
    let top = d
        .get_image(w, Some(Rect::new(0, 0, side, half)))
        .expect("top half");
    let bottom = d
        .get_image(w, Some(Rect::new(0, half as i32, side, side - half)))
        .expect("bottom half");
    let split = (half * side * 4) as usize;
    assert!(
        top.rgba == data[..split],
        "top half differs after the round trip"
    );
    assert!(
        bottom.rgba == data[split..],
        "bottom half differs after the round trip"
    );
}

#[test]
fn the_window_manager_keeps_title_bars_on_the_screen() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut d = server.connect("corner");
    let w = d
        .create_window(Rect::new(0, 0, 40, 30), "corner", Color::WHITE)
        .expect("window");
    d.map(w);
    d.flush().expect("flush");
    // Placed below and right of where it asked, so that its frame is on the screen.
    let placed = Rect::new(1, 25, 40, 30);
    assert_eq!(
        d.wait_event().expect("event"),
        Event::Configure {
            window: w.0,
            rect: placed
        }
    );
    let info = d.server_info().expect("info");
    assert_eq!(info.clients[0].windows[0].rect, placed);
}
