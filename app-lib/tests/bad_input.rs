//! Bad input from the network: each kind gets an error report or a closed connection for the
//! client that sent it, and a second client keeps drawing unharmed (checked by its pixels).
//!
//! | input                                  | what the sender gets                       |
//! |----------------------------------------|--------------------------------------------|
//! | garbage bytes (bad frame flags)        | `Protocol` error, then the socket closes   |
//! | a frame header announcing 100 MB       | `Protocol` error, then the socket closes   |
//! | a broken LZ4 payload                   | `Protocol` error, then the socket closes   |
//! | an lz4-ctx reference to an uncached msg| `Protocol` error, then the socket closes   |
//! | an unknown opcode                      | `UnknownRequest` error; the batch goes on  |
//! | a request whose body does not decode   | `Malformed` error; the batch goes on       |
//! | another client's window id             | `BadId` error                              |
//! | an id outside its range                | `IdChoice` error                           |
//! | drawing into the root                  | `BadMatch` error                           |
//! | drawing far outside a window           | nothing: clipped, as in X                  |
//! | an image whose bytes do not match      | `BadLength` error                          |
//! | an image or window above the size limit| `BadValue` error                           |
//! | compressed image data that is not a    | `BadValue` error naming what is wrong      |
//! | Zstandard frame of the image's size    |                                            |
//! | a compressed image that would expand   | `BadValue` error, before decompressing     |
//! | beyond what a frame could carry raw    |                                            |
//! | windows beyond the pixel budget        | `ResourceLimit` error                      |
//! | a hello from another protocol version  | refusal that names both versions           |
//! | not a netui hello at all               | refusal, then the socket closes            |

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use netui::transport::Stream;
use netui::{Color, Display, ErrorCode, ImageFormat, Point, Rect, ResourceId, Size, Window};
use netui_protocol::connection::FrameReader;
use netui_protocol::frame::{self, decode_message, BatchWriter, Bodies, Compression, FrameHeader};
use netui_protocol::handshake::PixelFormat;
use netui_protocol::{
    ClientHello, ErrorReport, FontSet, HelloOutcome, Limits, Request, ServerHello, ServerMessage,
    Welcome, PROTOCOL_VERSION,
};
use netui_testkit::golden::{pixel, screen_pixel};
use netui_testkit::TestDisplay;

/// Reads from `stream` until a whole frame is buffered and returns its message bodies.
fn read_frame<'a>(reader: &'a mut FrameReader, stream: &mut UnixStream) -> Bodies<'a> {
    while !reader.has_frame().expect("a frame within the limits") {
        let n = stream.read(reader.spare()).expect("read");
        assert!(n > 0, "the server closed the connection");
        reader.filled(n);
    }
    reader.next_frame().expect("decodes").expect("whole").bodies
}

/// A client that speaks raw bytes after a proper handshake.
struct Raw {
    stream: UnixStream,
    reader: FrameReader,
    welcome: Welcome,
    /// Messages read but not yet looked at.
    inbox: std::collections::VecDeque<ServerMessage>,
}

impl Raw {
    fn connect(server: &TestDisplay) -> Raw {
        let mut stream = UnixStream::connect(server.socket()).expect("connect");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        let hello = frame::encode_single(&ClientHello::new("raw", None)).expect("hello");
        stream.write_all(&hello).expect("send hello");
        let mut reader = FrameReader::new(Limits::default());
        let body = read_frame(&mut reader, &mut stream).next().expect("one");
        let HelloOutcome::Accepted(welcome) = decode_message::<ServerHello>(body)
            .expect("decodes")
            .outcome
        else {
            panic!("refused");
        };
        Raw {
            stream,
            reader,
            welcome,
            inbox: Default::default(),
        }
    }

    fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    fn send(&mut self, requests: &[Request]) {
        let mut w = BatchWriter::new(Limits::default(), Compression::None);
        for r in requests {
            w.push(r).expect("encode");
        }
        self.send_bytes(&w.take_frames());
    }

    /// Reads server messages until an error report arrives.
    fn next_error(&mut self) -> ErrorReport {
        loop {
            while let Some(message) = self.inbox.pop_front() {
                if let ServerMessage::Error(report) = message {
                    return report;
                }
            }
            let bodies = read_frame(&mut self.reader, &mut self.stream);
            for body in bodies {
                self.inbox.push_back(decode_message(body).expect("decodes"));
            }
        }
    }

    /// Asserts that the server closes the connection (after any messages it had left).
    fn assert_closed(&mut self) {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
                Err(e) => panic!("expected the server to close the connection, got {e}"),
            }
        }
    }

    fn id(&self, n: u32) -> ResourceId {
        ResourceId(self.welcome.id_base | n)
    }
}

/// A well-behaved client with a window that it draws into; `check` proves it still works.
struct Bystander {
    display: Display,
    window: Window,
    round: u8,
}

impl Bystander {
    fn new(server: &TestDisplay) -> Self {
        let mut display = server.connect("bystander");
        let window = display
            .create_window(Rect::new(200, 150, 40, 30), "ok", Color::WHITE)
            .expect("window");
        display.map(window);
        display.sync().expect("bystander set up");
        Bystander {
            display,
            window,
            round: 0,
        }
    }

    /// Draws a new color and reads it back from the window and the screen.
    fn check(&mut self) {
        self.round = self.round.wrapping_add(37);
        let color = Color::rgb(self.round, 100, 200);
        self.display
            .fill_rect(self.window, Rect::new(0, 0, 40, 30), color);
        self.display
            .sync()
            .expect("the bystander's requests still succeed");
        let image = self.display.get_image(self.window, None).expect("read");
        assert_eq!(
            pixel(&image.rgba, 40, 20, 15),
            [color.r, color.g, color.b, 255]
        );
        assert_eq!(
            screen_pixel(&mut self.display, 210, 160),
            [color.r, color.g, color.b, 255]
        );
    }
}

#[test]
fn garbage_bytes_close_only_that_connection() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut raw = Raw::connect(&server);
    raw.send_bytes(&[0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]);
    let report = raw.next_error();
    assert_eq!(report.code, ErrorCode::Protocol);
    assert!(report.message.contains("unknown flags"), "{report}");
    raw.assert_closed();
    ok.check();
}

#[test]
fn an_oversized_frame_is_refused_before_its_payload() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut raw = Raw::connect(&server);
    // A plain frame of 100 MB announced (flags, then the length in LEB128); nothing follows.
    let header = [0x00, 0x80, 0xc2, 0xd7, 0x2f];
    raw.send_bytes(&header);
    let report = raw.next_error();
    assert_eq!(report.code, ErrorCode::Protocol);
    assert!(report.message.contains("exceeds the limit"), "{report}");
    raw.assert_closed();
    ok.check();
}

#[test]
fn a_corrupt_compressed_frame_closes_only_that_connection() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut raw = Raw::connect(&server);
    let junk = [0xf0u8; 40];
    let header = FrameHeader::new(junk.len(), 5000, true, false);
    raw.send_bytes(&header.to_bytes());
    raw.send_bytes(&junk);
    let report = raw.next_error();
    assert_eq!(report.code, ErrorCode::Protocol);
    raw.assert_closed();
    ok.check();
}

#[test]
fn a_context_frame_referring_to_what_was_never_sent_closes_only_that_connection() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut raw = Raw::connect(&server);
    // Good lz4-ctx frames first: the server's decoder keeps their context.
    let mut w = BatchWriter::new(Limits::default(), Compression::Lz4Ctx);
    w.push(&Request::MapWindow { id: raw.id(1) })
        .expect("encode");
    raw.send_bytes(&w.take_frames());
    // Then a reference to a cache entry that no frame put there.
    let payload = [0x0b]; // entry: a reference (low bit 1) to 5 admissions back (11 = 2 × 5 + 1)
    let header = FrameHeader::new(payload.len(), payload.len(), false, true);
    raw.send_bytes(&header.to_bytes());
    raw.send_bytes(&payload);
    loop {
        let report = raw.next_error();
        if report.code == ErrorCode::Protocol {
            assert!(report.message.contains("cache holds 0"), "{report}");
            break;
        }
    }
    raw.assert_closed();
    ok.check();
}

#[test]
fn an_unknown_or_malformed_request_is_reported_and_the_batch_goes_on() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut raw = Raw::connect(&server);
    // One frame: [unknown opcode 99] [MapWindow cut short] [Sync].
    let payload = [2, 99, 0, 1, 1, 1, 19];
    let header = FrameHeader::new(payload.len(), payload.len(), false, false);
    raw.send_bytes(&header.to_bytes());
    raw.send_bytes(&payload);
    let unknown = raw.next_error();
    assert_eq!(
        (unknown.code, unknown.seq, unknown.opcode),
        (ErrorCode::UnknownRequest, 1, Some(99))
    );
    assert!(unknown.to_string().contains("opcode 99"), "{unknown}");
    let malformed = raw.next_error();
    assert_eq!((malformed.code, malformed.seq), (ErrorCode::Malformed, 2));
    assert!(
        malformed
            .to_string()
            .starts_with("MapWindow (request #2) failed"),
        "{malformed}"
    );
    // The connection still works: a window drawn afterwards shows.
    raw.send(&[
        Request::CreateWindow {
            id: raw.id(1),
            rect: Rect::new(10, 40, 10, 10),
            title: "r".into(),
            background: Color::RED,
        },
        Request::MapWindow { id: raw.id(1) },
    ]);
    ok.check();
    assert_eq!(screen_pixel(&mut ok.display, 15, 45), [255, 0, 0, 255]);
}

#[test]
fn another_clients_window_is_not_yours() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut bad = server.connect("intruder");
    bad.fill_rect(ok.window, Rect::new(0, 0, 40, 30), Color::BLACK);
    let err = bad.sync().expect_err("BadId");
    let report = err.report().expect("a request error");
    assert_eq!(report.code, ErrorCode::BadId);
    assert!(
        err.to_string().contains("FillRects") && err.to_string().contains("another client"),
        "{err}"
    );
    bad.send(Request::DestroyWindow { id: ok.window.0 });
    assert_eq!(
        bad.sync().expect_err("BadId").report().map(|r| r.code),
        Some(ErrorCode::BadId)
    );
    // Ids outside one's own range cannot be created.
    bad.send(Request::CreateWindow {
        id: ResourceId(ok.window.0 .0 + 1),
        rect: Rect::new(0, 0, 5, 5),
        title: String::new(),
        background: Color::RED,
    });
    assert_eq!(
        bad.sync().expect_err("IdChoice").report().map(|r| r.code),
        Some(ErrorCode::IdChoice)
    );
    // Drawing into the root is refused.
    bad.fill_rect(ResourceId::ROOT, Rect::new(0, 0, 5, 5), Color::RED);
    assert_eq!(
        bad.sync().expect_err("BadMatch").report().map(|r| r.code),
        Some(ErrorCode::BadMatch)
    );
    ok.check();
}

#[test]
fn drawing_far_outside_a_window_is_clipped_not_an_error() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut d = server.connect("wild");
    let w = d
        .create_window(Rect::new(10, 10, 20, 20), "w", Color::WHITE)
        .expect("window");
    d.map(w);
    d.fill_rect(
        w,
        Rect::new(i32::MIN, i32::MIN, u32::MAX, u32::MAX),
        Color::rgb(0, 90, 0),
    );
    d.fill_rect(
        w,
        Rect::new(i32::MAX, i32::MAX, u32::MAX, u32::MAX),
        Color::RED,
    );
    d.line(
        w,
        Point::new(-2_000_000_000, -2_000_000_000),
        Point::new(2_000_000_000, 2_000_000_000),
        9,
        Color::BLUE,
    );
    d.fill_ellipse(
        w,
        Rect::new(-1_000_000, -1_000_000, 3_000_000, 3_000_000),
        Color::RED,
    );
    d.copy_area(
        w,
        w,
        Rect::new(-500_000, 5, 1_000_000, 5),
        Point::new(i32::MAX, 0),
    );
    d.text(
        w,
        Point::new(i32::MAX - 5, 0),
        netui::Font::Sans,
        40,
        Color::BLACK,
        "far away",
    );
    d.sync().expect("clipped drawing is not an error");
    // Nothing leaked onto the screen outside the window.
    assert_eq!(screen_pixel(&mut d, 35, 35), screen_pixel(&mut d, 300, 5));
    ok.check();
}

#[test]
fn huge_or_inconsistent_images_and_windows_are_refused() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut d = server.connect("huge");
    let w = d
        .create_window(Rect::new(0, 0, 10, 10), "w", Color::WHITE)
        .expect("window");
    // Claims 100000x100000 pixels with 12 bytes of data.
    d.send(Request::PutImage {
        target: w.0,
        rect: Rect::new(0, 0, 100_000, 100_000),
        format: netui::ImageFormat::Rgb8,
        data: vec![0; 12],
    });
    let err = d.sync().expect_err("BadValue");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::BadValue),
        "{err}"
    );
    d.send(Request::PutImage {
        target: w.0,
        rect: Rect::new(0, 0, 4, 4),
        format: netui::ImageFormat::Rgba8,
        data: vec![0; 12],
    });
    let err = d.sync().expect_err("BadLength");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::BadLength),
        "{err}"
    );
    assert!(err.to_string().contains("needs 64 bytes"), "{err}");
    // A window beyond the side limit, and windows beyond the pixel budget.
    d.create_window(Rect::new(0, 0, 100_000, 10), "wide", Color::WHITE)
        .expect("id");
    assert_eq!(
        d.sync().expect_err("BadValue").report().map(|r| r.code),
        Some(ErrorCode::BadValue)
    );
    for _ in 0..2 {
        d.create_window(Rect::new(0, 0, 8192, 8192), "big", Color::WHITE)
            .expect("id");
    }
    assert_eq!(
        d.sync()
            .expect_err("ResourceLimit")
            .report()
            .map(|r| r.code),
        Some(ErrorCode::ResourceLimit)
    );
    ok.check();
}

/// The requests sent since the last sync were refused with BadValue, the report saying `why`.
fn refused_as_bad_value(d: &mut Display, why: &str) {
    let err = d.sync().expect_err("BadValue");
    assert_eq!(err.report().map(|r| r.code), Some(ErrorCode::BadValue));
    assert!(err.to_string().contains(why), "{err}");
}

#[test]
fn compressed_images_draw_as_raw_ones_and_bad_ones_are_refused() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut d = server.connect("zstd");
    let w = d
        .create_window(Rect::new(0, 0, 100, 60), "w", Color::WHITE)
        .expect("window");
    d.map(w);
    // A 40x20 gradient, half transparent, compressed: drawn as the raw image would be.
    let rgba: Vec<u8> = (0..40 * 20)
        .flat_map(|i| [(i % 40 * 6) as u8, (i / 40 * 12) as u8, 90, 128])
        .collect();
    let zstd = netui_protocol::images::compress(ImageFormat::Rgba8Zstd, 40, &rgba);
    d.put_image(w, Rect::new(0, 0, 40, 20), ImageFormat::Rgba8Zstd, &zstd);
    d.put_image(w, Rect::new(50, 0, 40, 20), ImageFormat::Rgba8, &rgba);
    d.sync().expect("a good compressed image is drawn");
    let image = d.get_image(w, None).expect("read");
    for (x, y) in [(0, 0), (17, 9), (39, 19)] {
        assert_eq!(
            pixel(&image.rgba, 100, x, y),
            pixel(&image.rgba, 100, x + 50, y),
            "({x}, {y})"
        );
    }
    assert_ne!(pixel(&image.rgba, 100, 17, 9), [255, 255, 255, 255]);
    // Not Zstandard, or data of another size.
    let small = netui_protocol::images::compress(ImageFormat::Rgb8Zstd, 4, &[7; 4 * 4 * 3]);
    for (data, rect) in [
        (b"not zstd".to_vec(), Rect::new(0, 0, 4, 4)),
        (small.clone(), Rect::new(0, 0, 4, 5)),
        (small, Rect::new(0, 0, 4, 3)),
    ] {
        d.put_image(w, rect, ImageFormat::Rgb8Zstd, &data);
        refused_as_bad_value(&mut d, "is not Rgb8Zstd");
    }
    // A gradient-coded image, drawn as the raw one; and one whose stream is cut short.
    let rgb: Vec<u8> = rgba.chunks(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let coded = netui_protocol::images::compress(ImageFormat::Rgb8Gradient, 40, &rgb);
    d.put_image(
        w,
        Rect::new(0, 30, 40, 20),
        ImageFormat::Rgb8Gradient,
        &coded,
    );
    d.put_image(w, Rect::new(50, 30, 40, 20), ImageFormat::Rgb8, &rgb);
    d.sync().expect("a good gradient-coded image is drawn");
    let image = d.get_image(w, None).expect("read");
    for (x, y) in [(0, 30), (17, 39), (39, 49)] {
        assert_eq!(
            pixel(&image.rgba, 100, x, y),
            pixel(&image.rgba, 100, x + 50, y),
            "({x}, {y})"
        );
    }
    let rect = Rect::new(0, 30, 40, 20);
    d.put_image(
        w,
        rect,
        ImageFormat::Rgb8Gradient,
        &coded[..coded.len() / 2],
    );
    refused_as_bad_value(&mut d, "ends before the image");
    // A gradient-coded image of more pixels than one may have (512x512): refused before it is
    // expanded, whatever its data, so that no one request holds the server for long.
    let flat = netui_protocol::images::compress(ImageFormat::Rgb8Gradient, 1000, &[0; 3000]);
    d.put_image(
        w,
        Rect::new(0, 0, 1000, 700),
        ImageFormat::Rgb8Gradient,
        &flat,
    );
    refused_as_bad_value(&mut d, "more than the 262144 pixels");
    // 8192x8192 pixels of zeros from a few hundred bytes: refused before decompressing.
    let bomb =
        netui_protocol::images::compress(ImageFormat::Rgba8Zstd, 8192, &vec![0; 8192 * 64 * 4]);
    d.put_image(
        w,
        Rect::new(0, 0, 8192, 8192),
        ImageFormat::Rgba8Zstd,
        &bomb,
    );
    refused_as_bad_value(&mut d, "more than the");
    d.fill_rect(w, Rect::new(0, 0, 4, 4), Color::RED);
    d.sync().expect("the sender goes on after its errors");
    ok.check();
}

#[test]
fn a_hello_of_another_version_is_refused_naming_both_versions() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut stream = UnixStream::connect(server.socket()).expect("connect");
    let mut hello = ClientHello::new("future", None);
    hello.version = 42;
    stream
        .write_all(&frame::encode_single(&hello).expect("hello"))
        .expect("send");
    let mut reader = FrameReader::new(Limits::default());
    let body = read_frame(&mut reader, &mut stream).next().expect("one");
    let answer: ServerHello = decode_message(body).expect("decodes");
    let HelloOutcome::Refused(refusal) = answer.outcome else {
        panic!("accepted")
    };
    let text = refusal.to_string();
    assert!(
        text.contains(&format!("version {PROTOCOL_VERSION}")) && text.contains("version 42"),
        "{text}"
    );
    ok.check();
}

#[test]
fn a_stranger_that_is_not_netui_is_turned_away() {
    let server = TestDisplay::start_with_tcp(":test", Size::new(320, 240));
    let mut ok = Bystander::new(&server);
    let mut stream = UnixStream::connect(server.socket()).expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    stream
        .shutdown(std::net::Shutdown::Write)
        .expect("half close");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    // The answer (if any) is a refusal frame, and then the connection is closed.
    assert!(answer.len() < 512);
    ok.check();
}

/// The library's side of a connection that the display closes: a display that reports a
/// `Protocol` error and hangs up without reading another byte. The application learns the
/// display's reason from the call that finds the connection gone, however far its writes got
/// before they failed (a write that fails first used to lose the reason to "lost").
#[test]
fn a_sender_hears_why_the_display_hung_up_even_when_its_writes_fail_first() {
    let (ours, mut theirs) = UnixStream::pair().expect("pair");
    let display = std::thread::spawn(move || {
        let mut reader = FrameReader::new(Limits::default());
        let hello = read_frame(&mut reader, &mut theirs)
            .next()
            .expect("a hello");
        decode_message::<ClientHello>(hello).expect("a netui hello");
        let welcome = Welcome {
            vendor: "fake".into(),
            client_id: 2,
            screen: Size::new(64, 48),
            pixel_format: PixelFormat::Xrgb8888,
            id_base: 2 << 21,
            id_mask: (1 << 21) - 1,
            limits: Limits::default(),
            fonts: Some(FontSet::default()),
        };
        let mut writer = BatchWriter::new(Limits::default(), Compression::None);
        let accepted = ServerHello::new(HelloOutcome::Accepted(welcome));
        writer.push(&accepted).expect("encodes");
        theirs.write_all(&writer.take_frames()).expect("welcome");
        let report =
            ErrorReport::protocol("frame header has unknown flags; closing the connection");
        writer.push(&ServerMessage::Error(report)).expect("encodes");
        theirs.write_all(&writer.take_frames()).expect("error");
        // Unread requests are in the socket: closing now resets the client's writes.
        theirs.shutdown(std::net::Shutdown::Both).expect("hang up");
    });
    let mut app = Display::connect_stream_with(
        Stream::Unix(ours),
        None,
        "fake".into(),
        "sender",
        Compression::None,
    )
    .expect("welcomed");
    display.join().expect("the fake display ran");
    let window = ResourceId(2 << 21 | 1);
    let failed = (0..100_000)
        .find_map(|_| {
            app.fill_rect(window, Rect::new(0, 0, 8, 8), Color::BLACK);
            app.flush().err()
        })
        .expect("writes to a closed display fail");
    assert!(
        failed.to_string().contains("unknown flags"),
        "the display's reason is lost: {failed}"
    );
}
