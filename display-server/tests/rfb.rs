//! The RFB (VNC) endpoint of a real headless server, driven by the project's own RFB client
//! (`netui_rfb::client`) over TCP: in every encoding the client's framebuffer equals the
//! server's screen after each step of an application's drawing; the passwords decide who may
//! connect and who may type; keys and clicks reach applications; a viewer may resize the
//! screen; and each kind of bad input closes that viewer's connection only, while a second
//! viewer and the application carry on.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use netui::{Color, Display, Event, Font, ImageFormat, Point, Rect, ResourceId, Size};
use netui_rfb::client::{Client, ClientError};
use netui_rfb::encoding;
use netui_rfb::message::ClientMessage;
use netui_testkit::golden::xrgb;
use netui_testkit::server::{RFB_PASSWORD, RFB_VIEW_PASSWORD};
use netui_testkit::TestDisplay;

const SIZE: Size = Size::new(480, 360);

type RfbClient = Client<TcpStream>;

fn connect(server: &TestDisplay, password: &str, encodings: &[i32]) -> RfbClient {
    try_connect(server, password, encodings).expect("the RFB handshake succeeds")
}

fn try_connect(
    server: &TestDisplay,
    password: &str,
    encodings: &[i32],
) -> Result<RfbClient, ClientError> {
    let stream = TcpStream::connect(server.rfb_addr()).expect("connects to the RFB port");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    Client::connect(stream, password, encodings)
}

/// The server's screen as 0x00RRGGBB pixels.
fn screen(reader: &mut Display) -> Vec<u32> {
    xrgb(
        &reader
            .get_image(ResourceId::ROOT, None)
            .expect("screen")
            .rgba,
    )
}

/// Asks for updates until the client's framebuffer equals the server's screen.
fn assert_matches(client: &mut RfbClient, reader: &mut Display, step: &str) {
    let start = Instant::now();
    let mut incremental = false;
    loop {
        let bounds = Rect::from_size(client.canvas().size());
        client.request_update(incremental, bounds).expect("request");
        incremental = true;
        // An update comes when something changed; none within the timeout means nothing did.
        let _ = read_update(client, Duration::from_millis(300));
        let server = screen(reader);
        if client.canvas().size() == SIZE && client.canvas().pixels() == server.as_slice() {
            return;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let differing = client
                .canvas()
                .pixels()
                .iter()
                .zip(&server)
                .filter(|(a, b)| a != b)
                .count();
            panic!(
                "{step}: the VNC client ({:?}) differs from the server in {differing} pixels",
                client.canvas().size()
            );
        }
    }
}

/// Reads messages until a framebuffer update arrives, or `wait` passes.
fn read_update(client: &mut RfbClient, wait: Duration) -> Option<netui_rfb::client::Update> {
    let stream = client.stream_mut();
    stream.set_read_timeout(Some(wait)).expect("a timeout");
    let result = loop {
        match client.read_message() {
            Ok(netui_rfb::client::ServerMessage::Update(update)) => break Some(update),
            Ok(_) => continue,
            Err(ClientError::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break None
            }
            Err(e) => panic!("the server's RFB stream does not decode: {e}"),
        }
    };
    let stream = client.stream_mut();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    result
}

/// An application's drawing in steps (windows, text, an image, a scroll, a move, a raise, a
/// close); after each the client must match.
fn steps(app: &mut Display, step: usize) -> Option<&'static str> {
    let a = netui::Window(ResourceId(app.welcome().id_base | 1));
    let b = netui::Window(ResourceId(app.welcome().id_base | 2));
    match step {
        0 => {
            app.create_window(Rect::new(30, 40, 200, 150), "first", Color::WHITE)
                .expect("window");
            app.map(a);
            app.fill_rect(a, Rect::new(10, 10, 80, 40), Color::rgb(200, 30, 30));
            app.text(
                a,
                Point::new(10, 60),
                Font::Sans,
                16,
                Color::BLACK,
                "Hello VNC",
            );
            app.fill_ellipse(a, Rect::new(100, 80, 80, 50), Color::rgb(30, 90, 200));
            Some("a window drawn")
        }
        1 => {
            app.create_window(
                Rect::new(150, 100, 220, 160),
                "second",
                Color::rgb(240, 240, 200),
            )
            .expect("window");
            app.map(b);
            let image: Vec<u8> = (0..64 * 64)
                .flat_map(|i| [(i % 64 * 4) as u8, (i / 64 * 4) as u8, 128])
                .collect();
            app.put_image(b, Rect::new(20, 20, 64, 64), ImageFormat::Rgb8, &image);
            Some("a second window on top, with an image")
        }
        2 => {
            for i in 0..8 {
                let line = format!("line {i}");
                app.text(
                    b,
                    Point::new(100, 10 + i * 16),
                    Font::Mono,
                    12,
                    Color::BLACK,
                    &line,
                );
            }
            app.copy_area(b, b, Rect::new(0, 16, 220, 144), Point::new(0, 0));
            app.fill_rect(b, Rect::new(0, 144, 220, 16), Color::rgb(240, 240, 200));
            Some("a scroll by copy_area")
        }
        3 => {
            app.configure(a, Rect::new(60, 180, 200, 150));
            Some("a window moved")
        }
        4 => {
            app.destroy_window(b);
            Some("a window closed")
        }
        _ => None,
    }
}

fn run_session(encodings: &[i32]) {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let mut client = connect(&server, RFB_PASSWORD, encodings);
    assert_eq!(
        client.canvas().size(),
        SIZE,
        "ServerInit gives the screen's size"
    );
    assert_eq!(client.name(), "netui :rfb");
    let mut app = server.connect("app");
    let mut reader = server.connect("reader");
    client
        .request_update(false, Rect::from_size(SIZE))
        .expect("request");
    let first = read_update(&mut client, Duration::from_secs(10)).expect("the first update");
    assert_eq!(
        first.resized, None,
        "the first update keeps the size of ServerInit"
    );
    assert_matches(&mut client, &mut reader, "the empty desktop");
    let mut step = 0;
    while let Some(what) = steps(&mut app, step) {
        app.sync().expect("the application's requests succeed");
        assert_matches(&mut client, &mut reader, what);
        step += 1;
    }
}

#[test]
fn every_encoding_shows_the_server_screen() {
    for pixels in [
        encoding::RAW,
        encoding::HEXTILE,
        encoding::ZRLE,
        encoding::TIGHT,
    ] {
        run_session(&[pixels]);
        run_session(&[
            pixels,
            encoding::COPY_RECT,
            encoding::DESKTOP_SIZE,
            encoding::CURSOR,
        ]);
    }
}

#[test]
fn tight_with_jpeg_stays_close_to_the_server_screen() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let mut app = server.connect("app");
    let w = app
        .create_window(Rect::new(20, 20, 300, 240), "photo", Color::WHITE)
        .expect("window");
    app.map(w);
    // A smooth, many-coloured picture: what JPEG is for.
    let image: Vec<u8> = (0..256 * 200)
        .flat_map(|i| {
            let (x, y) = (i % 256, i / 256);
            [x as u8, (y + x / 3) as u8, ((x * y) / 200) as u8]
        })
        .collect();
    app.put_image(w, Rect::new(10, 10, 256, 200), ImageFormat::Rgb8, &image);
    app.sync().expect("drawn");
    let quality = encoding::JPEG_QUALITY.start() + 6;
    let mut client = connect(&server, RFB_PASSWORD, &[encoding::TIGHT, quality]);
    client
        .request_update(false, Rect::from_size(SIZE))
        .expect("request");
    let update = read_update(&mut client, Duration::from_secs(10)).expect("an update");
    let mut reader = server.connect("reader");
    let expected = screen(&mut reader);
    let psnr = netui_scene::render::psnr(client.canvas().pixels(), &expected);
    assert!(psnr > 30.0, "PSNR {psnr:.1} dB");
    assert!(psnr.is_finite(), "the picture went as JPEG, not lossless");
    assert!(update.bytes_of(encoding::TIGHT) > 0);
}

#[test]
fn a_wrong_password_is_refused_and_the_right_ones_admitted() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let refused = try_connect(&server, "not-it", &[encoding::RAW]).err();
    let message = refused.expect("a wrong password is refused").to_string();
    assert!(message.contains("authentication failed"), "{message}");
    connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    connect(&server, RFB_VIEW_PASSWORD, &[encoding::RAW]);
    let mut reader = server.connect("reader");
    let info = reader.server_info().expect("info");
    let vnc: Vec<_> = info
        .clients
        .iter()
        .filter(|c| c.name == "vnc viewer")
        .collect();
    // The two admitted viewers' connections may have ended already; any listed one says rfb.
    assert!(
        vnc.iter().all(|c| c.peer.starts_with("rfb 127.0.0.1:")),
        "{vnc:?}"
    );
}

/// Connects to the RFB port from `source` (an address of this machine, port 0).
fn try_connect_from(
    server: &TestDisplay,
    source: &str,
    password: &str,
) -> Result<RfbClient, ClientError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let stream = runtime
        .block_on(async {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(source.parse().expect("an address"))?;
            socket.connect(server.rfb_addr()).await?.into_std()
        })
        .expect("connects to the RFB port");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    Client::connect(stream, password, &[encoding::RAW])
}

#[test]
fn five_wrong_passwords_block_that_address_only() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    for attempt in 1..=5 {
        let message = try_connect_from(&server, "127.0.0.1:0", "guess")
            .err()
            .unwrap_or_else(|| panic!("attempt {attempt}: a wrong password is refused"))
            .to_string();
        assert!(message.contains("authentication failed"), "{message}");
    }
    // Now even the right password is refused, with the reason, from that address...
    let message = try_connect_from(&server, "127.0.0.1:0", RFB_PASSWORD)
        .expect_err("a blocked address is refused")
        .to_string();
    assert!(
        message.contains("too many authentication failures"),
        "{message}"
    );
    // ...and RFB 3.3 hears the same reason where its security type would be.
    let mut old = TcpStream::connect(server.rfb_addr()).expect("connects");
    old.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a timeout");
    let mut version = [0u8; 12];
    old.read_exact(&mut version).expect("the server's version");
    old.write_all(b"RFB 003.003\n").expect("a 3.3 client");
    let mut refusal = Vec::new();
    let _ = old.read_to_end(&mut refusal);
    let reason = b"too many authentication failures";
    assert_eq!(refusal.get(..4), Some(&[0u8, 0, 0, 0][..]), "{refusal:?}");
    assert_eq!(refusal.get(8..), Some(&reason[..]), "{refusal:?}");
    // Another address of this machine is not blocked.
    try_connect_from(&server, "127.0.0.2:0", RFB_PASSWORD)
        .expect("another address connects with the right password");
}

#[test]
fn netinfo_lists_a_vnc_viewer_as_rfb() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let _client = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    let mut reader = server.connect("reader");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = reader.server_info().expect("info");
        if let Some(c) = info.clients.iter().find(|c| c.name == "vnc viewer") {
            assert!(c.peer.starts_with("rfb 127.0.0.1:"), "{c:?}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no VNC viewer in {:?}",
            info.clients
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An application with a focused window that records the keys and clicks it gets.
fn typing_target(server: &TestDisplay) -> (Display, netui::Window) {
    let mut app = server.connect("target");
    let w = app
        .create_window(Rect::new(100, 100, 200, 100), "target", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("mapped");
    (app, w)
}

/// The text of the key presses and the button presses `app` gets within `wait`.
fn received(app: &mut Display, wait: Duration) -> (String, usize) {
    let (mut text, mut clicks) = (String::new(), 0);
    let deadline = Instant::now() + wait;
    while let Some(remaining) = deadline.checked_duration_since(Instant::now()) {
        match app.wait_event_timeout(remaining) {
            Ok(Some(Event::KeyPress(k))) => text.push_str(&k.text),
            Ok(Some(Event::ButtonPress { .. })) => clicks += 1,
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => panic!("events: {e}"),
        }
    }
    (text, clicks)
}

fn type_and_click(client: &mut RfbClient) {
    client.pointer(0, 200, 150).expect("move");
    client.pointer(1, 200, 150).expect("press");
    client.pointer(0, 200, 150).expect("release");
    // "Hé€", in the viewer's layout: Shift+h, eacute, the Unicode keysym of the euro sign.
    for (down, keysym) in [
        (true, 0xffe1),
        (true, 0x48),
        (false, 0x48),
        (false, 0xffe1),
        (true, 0xe9),
        (false, 0xe9),
        (true, 0x0100_20ac),
        (false, 0x0100_20ac),
    ] {
        client.key(down, keysym).expect("key");
    }
}

#[test]
fn keys_and_clicks_reach_the_application_unless_view_only() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let (mut app, _w) = typing_target(&server);

    let mut watcher = connect(&server, RFB_VIEW_PASSWORD, &[encoding::RAW]);
    type_and_click(&mut watcher);
    let (text, clicks) = received(&mut app, Duration::from_millis(500));
    assert_eq!(
        (text.as_str(), clicks),
        ("", 0),
        "a view-only viewer's input is ignored"
    );

    let mut driver = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    type_and_click(&mut driver);
    let (text, clicks) = received(&mut app, Duration::from_secs(2));
    assert_eq!(clicks, 1, "the click reached the window under the pointer");
    assert_eq!(
        text, "Hé€",
        "the typed characters reached the focused window"
    );
}

#[test]
fn a_viewer_may_resize_the_screen() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let mut app = server.connect("app");
    let mut client = connect(
        &server,
        RFB_PASSWORD,
        &[encoding::RAW, encoding::EXTENDED_DESKTOP_SIZE],
    );
    let wanted = Size::new(640, 400);
    let screens = vec![netui_rfb::message::Screen {
        id: 0,
        rect: Rect::from_size(wanted),
        flags: 0,
    }];
    client
        .send(&ClientMessage::SetDesktopSize {
            width: 640,
            height: 400,
            screens,
        })
        .expect("set desktop size");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match app.wait_event_timeout(Duration::from_millis(100)) {
            Ok(Some(Event::ScreenResized { size })) => {
                assert_eq!(size, wanted);
                break;
            }
            Ok(_) => assert!(Instant::now() < deadline, "no resize event"),
            Err(e) => panic!("events: {e}"),
        }
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while client.canvas().size() != wanted {
        assert!(Instant::now() < deadline, "the viewer was not resized");
        client
            .request_update(true, Rect::from_size(client.canvas().size()))
            .expect("request");
        let _ = read_update(&mut client, Duration::from_millis(200));
    }
}

/// Whether the server closed the connection within a few seconds.
fn closed(stream: &mut TcpStream) -> bool {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a timeout");
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn bad_input_closes_that_viewer_only() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let mut app = server.connect("app");
    steps(&mut app, 0);
    app.sync().expect("drawn");
    let mut reader = server.connect("reader");
    let mut good = connect(&server, RFB_PASSWORD, &[encoding::ZRLE]);

    let mut set_encodings = vec![2, 0, 0xff, 0xff];
    set_encodings.extend(std::iter::repeat_n(0u8, 65_535 * 4));
    let cases: [(&str, Vec<u8>); 5] = [
        ("garbage (an unknown message type)", vec![0x77; 64]),
        (
            "ClientCutText that says 1 GB",
            vec![6, 0, 0, 0, 0x40, 0, 0, 0, b'x', b'y'],
        ),
        ("SetEncodings of 65,535 entries", set_encodings),
        (
            "a FramebufferUpdateRequest outside the screen",
            vec![3, 0, 0x10, 0, 0x10, 0, 0, 16, 0, 16],
        ),
        ("a colour-map pixel format", {
            let mut m = vec![0, 0, 0, 0];
            let mut format = netui_rfb::pixel::PixelFormat::SERVER.to_bytes();
            format[3] = 0;
            m.extend_from_slice(&format);
            m
        }),
    ];
    for (what, bytes) in cases {
        let mut bad = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
        let stream = bad.stream_mut();
        // The server may close while the bytes are still going: a failed write is fine.
        let _ = stream.write_all(&bytes);
        assert!(closed(stream), "{what}: the connection is closed");
        // The display and the other viewer carry on.
        app.fill_rect(
            netui::Window(ResourceId(app.welcome().id_base | 1)),
            Rect::new(10, 100, 60, 20),
            Color::rgb(bytes.len() as u8, 90, 9),
        );
        app.sync().expect("the application goes on");
        assert_matches(&mut good, &mut reader, what);
    }
}

#[test]
fn a_viewer_that_never_reads_does_not_hold_back_the_others() {
    let server = TestDisplay::start_with_rfb(":rfb", SIZE);
    let mut app = server.connect("app");
    steps(&mut app, 0);
    steps(&mut app, 1);
    app.sync().expect("drawn");
    let mut reader = server.connect("reader");
    // It asks for everything, over and over, and reads nothing.
    let mut stuck = connect(&server, RFB_PASSWORD, &[encoding::RAW]);
    let request = [3u8, 0, 0, 0, 0, 0, 1, 0xe0, 1, 0x68];
    let mut good = connect(&server, RFB_PASSWORD, &[encoding::ZRLE]);
    let b = netui::Window(ResourceId(app.welcome().id_base | 2));
    for i in 0..40u8 {
        for _ in 0..10 {
            let _ = stuck.stream_mut().write_all(&request);
        }
        // Changes all over the window, so that raw updates of it are large.
        app.fill_rect(
            b,
            Rect::new(0, 0, 220, 160),
            Color::rgb(i * 6, 255 - i * 6, i),
        );
        app.sync().expect("the application goes on");
    }
    assert_matches(&mut good, &mut reader, "while another viewer reads nothing");
}
