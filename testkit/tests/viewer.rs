//! Viewers against a real headless server: in every mode and pixel encoding, the viewer's
//! picture equals the server's screen after each step of an application's drawing (windows
//! mapped, drawn, scrolled, moved, raised, closed), over a connection in every compression;
//! switching mode keeps it equal; viewers that join late or two at once see the same, and
//! what is drawn while a command-mode viewer's snapshot is compressed follows it; bad
//! input from a viewer is refused without harm; pixel updates travel in frames that the
//! connection does not compress.

use std::time::{Duration, Instant};

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use netui::transport::Stream;
use netui::{
    Button, Color, Compression, Display, Font, ImageFormat, InputEvent, Point, Rect, ResourceId,
    Size,
};
use netui_protocol::frame::{self, BatchWriter};
use netui_protocol::{
    ClientHello, FrameReader, Limits, PixelEncoding, Request, SceneOp, ServerMessage, ViewMessage,
    ViewMode,
};
use netui_testkit::golden::{noise, xrgb};
use netui_testkit::input::click;
use netui_testkit::TestDisplay;
use thin_client::view::View;

/// A viewer in the test: its connection and its copy of the screen.
struct Viewer {
    display: netui::Viewer,
    view: View,
}

impl Viewer {
    fn attach(server: &TestDisplay, mode: ViewMode) -> Viewer {
        Self::attach_with(server, mode, Compression::default())
    }

    fn attach_with(server: &TestDisplay, mode: ViewMode, compression: Compression) -> Viewer {
        let socket = std::os::unix::net::UnixStream::connect(server.socket()).expect("connect");
        let mut display = netui::Viewer::connect_stream_with(
            Stream::Unix(socket),
            None,
            ":test".into(),
            "viewer",
            compression,
        )
        .expect("connects");
        display.attach_viewer(mode).expect("attach");
        Viewer {
            display,
            view: View::default(),
        }
    }

    /// Applies whatever arrives within `wait`; acknowledges each update.
    fn follow(&mut self, wait: Duration) {
        while let Some(message) = self.display.wait_view(wait).expect("view") {
            let applied = self.view.apply(message).expect("applies");
            if let Some(update) = applied.update {
                self.display.ack_update(update).expect("ack");
            }
        }
    }

    /// Follows updates until the picture equals the server's screen.
    fn assert_matches(&mut self, reader: &mut Display, step: &str) {
        let start = Instant::now();
        loop {
            self.follow(Duration::from_millis(10));
            let server = screen(reader);
            let mine: Vec<u32> = self.view.screen().pixels().to_vec();
            if self.view.size() == Size::new(480, 360) && mine == server {
                return;
            }
            if start.elapsed() > Duration::from_secs(10) {
                let differing = mine.iter().zip(&server).filter(|(a, b)| a != b).count();
                panic!(
                    "{step}: the viewer ({:?}) differs from the server in {differing} pixels",
                    self.view.mode()
                );
            }
        }
    }
}

/// The server's screen as 0x00RRGGBB pixels.
fn screen(d: &mut Display) -> Vec<u32> {
    xrgb(&d.get_image(ResourceId::ROOT, None).expect("screen").rgba)
}

/// An application's session in steps; after each, every viewer must match.
fn steps(app: &mut Display, step: usize) -> Option<&'static str> {
    let a = netui::Window(ResourceId(app.welcome().id_base | 1));
    let b = netui::Window(ResourceId(app.welcome().id_base | 2));
    match step {
        0 => {
            let w = app
                .create_window(Rect::new(30, 40, 200, 150), "first", Color::WHITE)
                .expect("window");
            assert_eq!(w, a);
            app.map(a);
            app.fill_rect(a, Rect::new(10, 10, 80, 40), Color::rgb(200, 30, 30));
            app.text(
                a,
                Point::new(10, 60),
                Font::Sans,
                16,
                Color::BLACK,
                "Hello viewers",
            );
            app.fill_ellipse(a, Rect::new(100, 80, 80, 50), Color::rgb(30, 90, 200));
            Some("a window drawn")
        }
        1 => {
            let w = app
                .create_window(
                    Rect::new(150, 100, 220, 160),
                    "second",
                    Color::rgb(240, 240, 200),
                )
                .expect("window");
            assert_eq!(w, b);
            app.map(b);
            let image: Vec<u8> = (0..64 * 64)
                .flat_map(|i| [(i % 64 * 4) as u8, (i / 64 * 4) as u8, 128])
                .collect();
            app.put_image(b, Rect::new(20, 20, 64, 64), ImageFormat::Rgb8, &image);
            // Half transparent, blended over the first image and the background.
            let rgba: Vec<u8> = (0..48 * 40)
                .flat_map(|i| {
                    [
                        200,
                        (i % 48 * 5) as u8,
                        (i / 48 * 6) as u8,
                        (i % 7 * 30) as u8,
                    ]
                })
                .collect();
            app.put_image(b, Rect::new(60, 50, 48, 40), ImageFormat::Rgba8, &rgba);
            Some("a second window on top, with two images")
        }
        2 => {
            for i in 0..8 {
                app.text(
                    b,
                    Point::new(100, 10 + i * 16),
                    Font::Mono,
                    12,
                    Color::BLACK,
                    &format!("line {i}"),
                );
            }
            app.copy_area(b, b, Rect::new(0, 16, 220, 144), Point::new(0, 0));
            app.fill_rect(b, Rect::new(0, 144, 220, 16), Color::rgb(240, 240, 200));
            Some("a scroll by copy_area")
        }
        3 => {
            app.configure(a, Rect::new(60, 180, 200, 150));
            Some("a window moved by its application")
        }
        4 => {
            // A click on the first window's title bar raises it (the window manager).
            click(app, Point::new(100, 180 - 12));
            Some("a window raised by a click")
        }
        5 => {
            app.destroy_window(b);
            Some("a window closed")
        }
        _ => None,
    }
}

fn run_session(mode: ViewMode) {
    run_session_with(mode, Compression::default());
}

fn run_session_with(mode: ViewMode, compression: Compression) {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut viewer = Viewer::attach_with(&server, mode, compression);
    let mut app = server.connect("app");
    // Font metrics are for laying out text: an application's welcome has them, a viewer's
    // (the first screen of a thin client) does without.
    assert!(app.welcome().fonts.is_some());
    assert!(viewer.display.display().welcome().fonts.is_none());
    let mut reader = server.connect("reader");
    viewer.assert_matches(&mut reader, "the empty desktop");
    let mut step = 0;
    while let Some(what) = steps(&mut app, step) {
        app.sync().expect("the application's requests succeed");
        viewer.assert_matches(&mut reader, what);
        step += 1;
    }
}

/// px-tiles sends an application's drawing as drawings that the viewer carries out itself,
/// clipped to where the window shows: not under the window above it, whose pixels stay. The
/// viewer equals the server.
#[test]
fn px_tiles_sends_drawing_as_drawings_clipped_to_where_the_window_shows() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut viewer = Viewer::attach(&server, ViewMode::Pixels(PixelEncoding::Tiles));
    let mut app = server.connect("app");
    let mut reader = server.connect("reader");
    let (under, over) = (Rect::new(30, 40, 200, 150), Rect::new(150, 100, 220, 160));
    let a = app
        .create_window(under, "under", Color::WHITE)
        .expect("window");
    app.map(a);
    let b = app
        .create_window(over, "over", Color::rgb(240, 240, 200))
        .expect("window");
    app.map(b);
    app.sync().expect("synced");
    viewer.assert_matches(&mut reader, "two windows");
    // Drawing in the window underneath, across the edge of the one above.
    let black = Color::BLACK;
    app.text(
        a,
        Point::new(10, 60),
        Font::Sans,
        16,
        black,
        "under and past the edge",
    );
    app.line(
        a,
        Point::new(0, 0),
        Point::new(199, 149),
        3,
        Color::rgb(200, 30, 30),
    );
    app.fill_rect(a, Rect::new(100, 90, 100, 50), Color::rgb(30, 90, 200));
    app.sync().expect("drawn");
    let mut drawings = Vec::new();
    let start = Instant::now();
    while viewer.view.screen().pixels() != screen(&mut reader).as_slice() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the viewer differs"
        );
        while let Some(message) = viewer.display.wait_view(Duration::from_millis(10)).unwrap() {
            let applied = viewer.view.apply(message).expect("applies");
            drawings.extend(viewer.view.drawings().iter().map(|(_, d)| d.clone()));
            if let Some(update) = applied.update {
                viewer.display.ack_update(update).expect("ack");
            }
        }
    }
    assert_eq!(drawings.len(), 3, "{drawings:?}");
    for drawing in &drawings {
        for clip in &drawing.clips {
            assert!(under.contains_rect(*clip), "{clip:?} is not the window's");
            assert!(
                clip.intersect(over).is_empty(),
                "{clip:?} is under the other"
            );
        }
    }
}

#[test]
fn command_mode_viewer_equals_the_server() {
    run_session(ViewMode::Commands);
}

#[test]
fn every_pixel_encoding_equals_the_server() {
    for encoding in PixelEncoding::ALL {
        run_session(ViewMode::Pixels(encoding));
    }
}

#[test]
fn command_mode_viewer_equals_the_server_in_every_compression() {
    for compression in Compression::ALL {
        run_session_with(ViewMode::Commands, compression);
    }
    // Pixels over an lz4-ctx connection: their frames stay out of its context.
    run_session_with(
        ViewMode::Pixels(PixelEncoding::DeltaLz4),
        Compression::Lz4Ctx,
    );
}

/// A viewer that speaks bytes: a connection that asked for `compression`, attached in
/// `mode`, whose reads give up after `wait`.
fn raw_viewer(
    server: &TestDisplay,
    compression: Compression,
    mode: ViewMode,
    wait: Duration,
) -> UnixStream {
    let mut stream = UnixStream::connect(server.socket()).expect("connect");
    stream.set_read_timeout(Some(wait)).expect("timeout");
    let hello = ClientHello::new("raw-viewer", None).with_compression(compression);
    stream
        .write_all(&frame::encode_single(&hello).expect("hello"))
        .expect("send hello");
    send(&mut stream, Request::AttachViewer { mode });
    stream
}

/// Sends one request in a plain frame.
fn send(stream: &mut UnixStream, request: Request) {
    let mut w = BatchWriter::new(Limits::default(), Compression::None);
    w.push(&request).expect("encodes");
    stream.write_all(&w.take_frames()).expect("send");
}

/// A raw viewer in pixel mode over a connection that asked for `compression`, which looks
/// at the header of every frame.
fn pixel_frames(compression: Compression, encoding: PixelEncoding) -> Vec<(u8, usize, usize)> {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut app = server.connect("app");
    let mode = ViewMode::Pixels(encoding);
    let mut stream = raw_viewer(&server, compression, mode, Duration::from_secs(10));
    let limits = Limits::default();
    // A white window over most of the screen: pixels that LZ4 would shrink a hundredfold.
    let w = app
        .create_window(Rect::new(10, 10, 400, 300), "white", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    // (flags, wire length, messages) of each frame with a pixel update.
    let mut seen = Vec::new();
    let mut frames = FrameReader::new(limits);
    let mut hello_read = false;
    while seen.len() < 3 {
        let Some(frame) = frames.next_frame().expect("a frame that decodes") else {
            let n = stream.read(frames.spare()).expect("read");
            assert!(n > 0, "the server closed the connection");
            frames.filled(n);
            continue;
        };
        let header = frame.header;
        let bodies: Vec<Vec<u8>> = frame.bodies.map(<[u8]>::to_vec).collect();
        if !hello_read {
            hello_read = true;
            continue;
        }
        let mut updates = Vec::new();
        let mut pixels = false;
        for body in &bodies {
            if let ServerMessage::View(ViewMessage::Pixels { update, rects, .. }) =
                frame::decode_message(body).expect("a server message")
            {
                updates.push(update);
                // An empty update (the server measuring the link's delay) carries no pixels.
                pixels |= !rects.is_empty();
            }
        }
        if pixels {
            seen.push((header.flags(), header.wire_len, bodies.len()));
        }
        for update in updates {
            send(&mut stream, Request::AckUpdate { update });
            // Something new to send after the acknowledgement.
            app.fill_rect(
                w,
                Rect::new(0, 0, 400, 300),
                Color::rgb(0, 0, 200 + update as u8),
            );
            app.sync().expect("sync");
        }
    }
    seen
}

#[test]
fn raw_pixel_updates_travel_in_frames_the_connection_does_not_compress() {
    for compression in [Compression::Lz4, Compression::Lz4Ctx] {
        // px-raw: whole screens of mostly one color, which the connection's LZ4 used to
        // shrink to almost nothing; now they cost what px-raw says.
        for (flags, wire, messages) in pixel_frames(compression, PixelEncoding::Raw) {
            assert_eq!(flags, 0, "{compression}: a pixel frame was compressed");
            assert_eq!(
                messages, 1,
                "{compression}: a pixel update shares its frame"
            );
            assert!(
                wire >= 480 * 360 * 4,
                "{compression}: {wire} B for a whole screen"
            );
        }
        // px-delta-lz4: plain frames (never in a context), LZ4 again or not.
        for (flags, _, messages) in pixel_frames(compression, PixelEncoding::DeltaLz4) {
            assert!(
                flags <= 1 && messages == 1,
                "{compression}: {flags} {messages}"
            );
        }
    }
}

/// A slide show that comes back to a slide: the slide's image reaches a command-mode viewer
/// over `lz4-ctx` compressed the first time, and as a reference to the connection's cache of
/// messages the second.
#[test]
fn an_image_shown_again_reaches_a_command_viewer_as_a_reference() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(10, 10, 300, 260), "slides", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    let wait = Duration::from_millis(300);
    let mut stream = raw_viewer(&server, Compression::Lz4Ctx, ViewMode::Commands, wait);
    let limits = Limits::default();
    let mut frames = FrameReader::new(limits);
    let mut view = View::default();
    let mut hello_read = false;
    // Reads until the server is quiet for the read timeout: the bytes on the wire, and the
    // formats and sizes of the images that arrived.
    let mut follow = |stream: &mut UnixStream| {
        let (mut wire, mut images) = (0, Vec::new());
        loop {
            let Some(frame) = frames.next_frame().expect("a frame that decodes") else {
                match stream.read(frames.spare()) {
                    Ok(n) if n > 0 => frames.filled(n),
                    Ok(_) => panic!("the server closed the connection"),
                    Err(_) => return (wire, images),
                }
                continue;
            };
            wire += frame.header.frame_len();
            let bodies: Vec<Vec<u8>> = frame.bodies.map(<[u8]>::to_vec).collect();
            if !std::mem::replace(&mut hello_read, true) {
                continue;
            }
            for body in &bodies {
                let ServerMessage::View(message) = frame::decode_message(body).expect("decodes")
                else {
                    continue;
                };
                if let ViewMessage::ScenePart { ops } | ViewMessage::Scene { ops, .. } = &message {
                    for op in ops {
                        if let SceneOp::Request(Request::PutImage { format, data, .. }) = op {
                            images.push((*format, data.len()));
                        }
                    }
                }
                if let Some(update) = view.apply(message).expect("applies").update {
                    send(stream, Request::AckUpdate { update });
                }
            }
        }
    };
    follow(&mut stream);
    // Gradients with noise, as a photograph has: they compress to about half, more than
    // the 64 KiB that LZ4's dictionary remembers, so only the cache can find one again.
    let slide = |n: u32| -> Vec<u8> {
        let mut noise = n;
        (0..256 * 240u32)
            .flat_map(|i| {
                noise = noise.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let grain = (noise >> 27) as u8;
                let (x, y) = (i % 256, i / 256);
                [x as u8 ^ n as u8, (y + n) as u8, ((x + y) / 2) as u8]
                    .map(|c| c.wrapping_add(grain))
            })
            .collect()
    };
    let mut show = |n: u32| {
        let rect = Rect::new(20, 10, 256, 240);
        app.put_image(w, rect, ImageFormat::Rgb8, &slide(n));
        app.present(w).expect("present");
        app.sync().expect("sync");
    };
    show(1);
    let (first, images) = follow(&mut stream);
    let raw = 256 * 240 * 3;
    assert!(
        matches!(images[..], [(ImageFormat::Rgb8Gradient, len)] if len < raw * 3 / 4),
        "{images:?}"
    );
    assert!(first > 64 << 10, "the slide took {first} bytes");
    show(2);
    follow(&mut stream);
    show(1);
    let (again, images) = follow(&mut stream);
    assert!(images.len() == 1, "{images:?}");
    assert!(
        again < 200,
        "the slide shown again took {again} bytes (the first time {first})"
    );
    let mut reader = server.connect("reader");
    assert!(view.screen().pixels() == &screen(&mut reader)[..]);
}

#[test]
fn switching_mode_midway_keeps_the_picture_equal() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut viewer = Viewer::attach(&server, ViewMode::Commands);
    let mut app = server.connect("app");
    let mut reader = server.connect("reader");
    let modes = [
        ViewMode::Pixels(PixelEncoding::DeltaLz4),
        ViewMode::Commands,
        ViewMode::Pixels(PixelEncoding::Raw),
    ];
    let mut step = 0;
    while let Some(what) = steps(&mut app, step) {
        app.sync().expect("sync");
        viewer.assert_matches(&mut reader, what);
        viewer
            .display
            .attach_viewer(modes[step % modes.len()])
            .expect("switch");
        viewer.assert_matches(&mut reader, "after switching");
        step += 1;
    }
}

#[test]
fn viewers_that_join_late_or_together_see_the_same_screen() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut app = server.connect("app");
    let mut reader = server.connect("reader");
    let mut early = Viewer::attach(&server, ViewMode::Pixels(PixelEncoding::DeltaLz4));
    steps(&mut app, 0);
    steps(&mut app, 1);
    app.sync().expect("sync");
    early.assert_matches(&mut reader, "before the others join");
    // One leaves while the application keeps drawing; two join, one per mode.
    drop(early);
    steps(&mut app, 2);
    let mut commands = Viewer::attach(&server, ViewMode::Commands);
    steps(&mut app, 3);
    let mut pixels = Viewer::attach(&server, ViewMode::Pixels(PixelEncoding::DamageLz4));
    app.sync().expect("sync");
    commands.assert_matches(&mut reader, "a command viewer that joined late");
    pixels.assert_matches(&mut reader, "a pixel viewer that joined late");
    steps(&mut app, 4);
    app.sync().expect("sync");
    commands.assert_matches(&mut reader, "both viewers at once (commands)");
    pixels.assert_matches(&mut reader, "both viewers at once (pixels)");
}

/// A command-mode viewer's snapshot of a window of noise (which the server compresses on a
/// thread of its own, tens of milliseconds) while the application goes on drawing into that
/// window and another: what was drawn meanwhile follows the snapshot, and the viewer equals
/// the server.
#[test]
fn drawing_while_a_command_viewers_snapshot_is_compressed_follows_it() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut app = server.connect("app");
    let mut reader = server.connect("reader");
    let noisy = app
        .create_window(Rect::new(10, 10, 400, 300), "noise", Color::BLACK)
        .expect("window");
    app.map(noisy);
    let noise = noise(400 * 300 * 3, 0x9e37_79b9);
    app.put_image(noisy, Rect::new(0, 0, 400, 300), ImageFormat::Rgb8, &noise);
    app.sync().expect("sync");
    let mut viewer = Viewer::attach(&server, ViewMode::Commands);
    for i in 0..40 {
        let color = Color::rgb(i * 6, 255 - i * 6, 90);
        app.fill_rect(noisy, Rect::new(i32::from(i) * 9, 20, 8, 200), color);
    }
    app.text(
        noisy,
        Point::new(20, 250),
        Font::Sans,
        20,
        Color::WHITE,
        "after",
    );
    app.sync().expect("sync");
    let mut other = server.connect("other");
    steps(&mut other, 0);
    other.sync().expect("sync");
    viewer.assert_matches(&mut reader, "drawn while the snapshot was compressed");
}

#[test]
fn bad_input_from_a_viewer_is_refused_and_harms_no_application() {
    let server = TestDisplay::start(":test", Size::new(480, 360));
    let mut app = server.connect("app");
    steps(&mut app, 0);
    app.sync().expect("sync");
    let mut stranger = netui::Viewer::from(server.connect("not-a-viewer"));
    // Viewer input before attaching is refused.
    stranger
        .viewer_input(1, InputEvent::PointerMoved(Point::new(1, 1)))
        .expect("sent");
    let err = stranger.sync().expect_err("refused");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(netui::ErrorCode::Access),
        "{err}"
    );
    // Coordinates far out of range and acknowledgements of updates never sent do no harm.
    let mut viewer = Viewer::attach(&server, ViewMode::Commands);
    viewer
        .display
        .viewer_input(1, InputEvent::PointerMoved(Point::new(i32::MIN, i32::MAX)))
        .expect("sent");
    viewer
        .display
        .viewer_input(
            2,
            InputEvent::Button {
                button: Button::Other(999),
                pressed: true,
            },
        )
        .expect("sent");
    viewer
        .display
        .viewer_input(
            3,
            InputEvent::Wheel {
                dx: i32::MAX,
                dy: i32::MIN,
            },
        )
        .expect("sent");
    viewer.display.ack_update(u64::MAX).expect("sent");
    viewer.display.sync().expect("accepted without errors");
    let mut reader = server.connect("reader");
    viewer.assert_matches(&mut reader, "after odd input");
    // The application still draws.
    app.fill_rect(
        netui::Window(ResourceId(app.welcome().id_base | 1)),
        Rect::new(0, 0, 5, 5),
        Color::GREEN,
    );
    app.sync().expect("the application is unharmed");
    viewer.assert_matches(&mut reader, "after the application drew again");
}
