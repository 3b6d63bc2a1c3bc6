//! Fair and bounded (issue 12): what a hostile client can no longer do to the others. Each
//! test runs an attack, scaled down to seconds, beside a well-behaved client whose round trip
//! stays under [`ROUND_TRIP`] and whose pixels stay right.
//!
//! | attack                                           | what the server does now                  |
//! |--------------------------------------------------|-------------------------------------------|
//! | a TCP client attaches as a viewer and clicks     | it watches; its input gets an `Access` error |
//! | one `Lines` request: many points, width 65,535   | clipped first: cheap                      |
//! | `Clear`s of a big pixmap, then disconnect        | served in turns; the rest dropped on close |
//! | `GetImage` of the screen, never read             | disconnected at the outbox's byte limit   |
//! | pixmaps from several clients                     | `ResourceLimit` at the server's total     |
//! | many windows with long titles                    | server info bounded: titles cut, list capped |

use std::time::{Duration, Instant};

use netui::{
    Button, Color, Display, ErrorCode, Event, InputEvent, Point, Rect, Size, ViewMode, Viewer,
};
use netui_testkit::golden::screen_pixel;
use netui_testkit::TestDisplay;

/// The round trip a well-behaved client keeps while an attack runs: generous for a loaded
/// 2-core machine running unoptimized tests, and far below the seconds the attacks cost before.
const ROUND_TRIP: Duration = Duration::from_millis(250);

/// A well-behaved client: a window filled with one color, which it checks.
struct Bystander {
    display: Display,
    color: Color,
    at: Point,
}

impl Bystander {
    fn start(server: &TestDisplay) -> Bystander {
        let mut display = server.connect("bystander");
        let color = Color::rgb(20, 160, 60);
        let w = display
            .create_window(Rect::new(10, 30, 60, 40), "bystander", color)
            .expect("window");
        display.map(w);
        display.sync().expect("sync");
        Bystander {
            display,
            color,
            at: Point::new(30, 50),
        }
    }

    /// Measures one round trip; checks the bound and the window's pixels.
    fn check(&mut self, during: &str) -> Duration {
        let start = Instant::now();
        self.display.sync().expect("sync");
        let took = start.elapsed();
        assert!(
            took < ROUND_TRIP,
            "{during}: a round trip took {took:?}, above {ROUND_TRIP:?}"
        );
        let [r, g, b, _] = screen_pixel(&mut self.display, self.at.x, self.at.y);
        assert_eq!(
            [r, g, b],
            [self.color.r, self.color.g, self.color.b],
            "{during}"
        );
        took
    }

    /// Checks again and again for `span`.
    fn check_for(&mut self, span: Duration, during: &str) -> Duration {
        let end = Instant::now() + span;
        let mut worst = Duration::ZERO;
        while Instant::now() < end {
            worst = worst.max(self.check(during));
            std::thread::sleep(Duration::from_millis(10));
        }
        worst
    }
}

#[test]
fn a_tcp_viewer_drives_the_screen_but_a_tcp_client_may_not_inject_input() {
    let server = TestDisplay::start_with_tcp(":fair", Size::new(320, 240));
    let mut bystander = Bystander::start(&server);
    let mut remote = Viewer::from(server.connect_tcp("remote viewer"));
    remote
        .attach_viewer(ViewMode::Commands)
        .expect("a TCP client may attach as a viewer");
    let press = InputEvent::Button {
        button: Button::Left,
        pressed: true,
    };
    remote
        .viewer_input(1, InputEvent::PointerMoved(Point::new(30, 50)))
        .expect("sent");
    remote.viewer_input(2, press.clone()).expect("sent");
    remote
        .sync()
        .expect("a viewer's input is the display user's");
    // The application under the pointer hears the click.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let heard = bystander
            .display
            .wait_event_timeout(Duration::from_millis(100))
            .expect("connected");
        if matches!(heard, Some(Event::ButtonPress { .. })) {
            break;
        }
        assert!(Instant::now() < deadline, "no click reached the window");
    }
    // Input injection without being a viewer stays the owner's.
    let mut app = server.connect_tcp("remote app");
    app.send(netui_protocol::Request::InjectInput { input: press });
    let err = app.sync().expect_err("InjectInput is refused over TCP");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::Access),
        "{err}"
    );
    bystander.check("after the remote clicks");
}

#[test]
fn a_polyline_of_width_65535_is_clipped_to_one_fill() {
    let server = TestDisplay::start(":fair", Size::new(320, 240));
    let mut bystander = Bystander::start(&server);
    let mut attacker = server.connect("attacker");
    let w = attacker
        .create_window(Rect::new(100, 60, 200, 150), "attacker", Color::WHITE)
        .expect("window");
    attacker.map(w);
    attacker.sync().expect("sync");
    // Before: every one of these segments filled the whole window (20,000 times 30,000
    // pixels); now the first one that covers the window makes the polyline one fill, and
    // segments far outside it are skipped.
    let points: Vec<Point> = (0..20_000)
        .map(|i| match i % 3 {
            0 => Point::new(0, 0),
            1 => Point::new(199, 149),
            _ => Point::new(1_000_000, -1_000_000),
        })
        .collect();
    let red = Color::rgb(200, 0, 0);
    attacker.polyline(w, &points, u16::MAX, red);
    attacker.flush().expect("sent");
    let worst = bystander.check_for(Duration::from_millis(500), "while the polyline is drawn");
    let start = Instant::now();
    attacker.sync().expect("drawn");
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let [r, g, b, _] = screen_pixel(&mut attacker, 250, 150);
    assert_eq!([r, g, b], [200, 0, 0]);
    eprintln!("worst round trip while the polyline ran: {worst:?}");
}

#[test]
fn costly_drawing_is_served_in_turns_and_the_others_go_between() {
    let server = TestDisplay::start(":fair", Size::new(320, 240));
    let mut bystander = Bystander::start(&server);
    let mut attacker = server.connect("attacker");
    let w = attacker
        .create_window(Rect::new(100, 60, 200, 150), "attacker", Color::WHITE)
        .expect("window");
    attacker.map(w);
    attacker.sync().expect("sync");
    // Width 100 covers a third of the window per segment, never all of it: about 25,000
    // pixels a segment, 20,000 segments, 500 Mpixels in one request (seconds of work),
    // cut into turns.
    let points: Vec<Point> = (0..20_001)
        .map(|i| Point::new(if i % 2 == 0 { 0 } else { 199 }, i % 150))
        .collect();
    let drawing = std::thread::spawn(move || {
        let sent = Instant::now();
        attacker.polyline(w, &points, 100, Color::rgb(0, 0, 200));
        attacker.sync().expect("drawn");
        sent.elapsed()
    });
    let mut worst = Duration::ZERO;
    let mut checks = 0;
    while !drawing.is_finished() || checks == 0 {
        worst = worst.max(bystander.check("while the polyline is drawn"));
        checks += 1;
    }
    let took = drawing.join().expect("the attacker's thread");
    eprintln!("the polyline took {took:?}; {checks} round trips meanwhile, the worst {worst:?}");
}

#[test]
fn work_queued_by_a_client_that_left_is_dropped() {
    let server = TestDisplay::start(":fair", Size::new(320, 240));
    let mut bystander = Bystander::start(&server);
    let mut attacker = server.connect("attacker");
    let pixmap = attacker
        .create_pixmap(Size::new(4000, 4000))
        .expect("pixmap");
    attacker.sync().expect("sync");
    for _ in 0..100 {
        attacker.clear(pixmap, None);
    }
    attacker.flush().expect("sent");
    // 1.6 Gpixels of clears: seconds of work, most of it still queued when it leaves.
    std::thread::sleep(Duration::from_millis(50));
    drop(attacker);
    let left = Instant::now();
    loop {
        bystander.check("while the attacker leaves");
        let info = bystander.display.server_info().expect("info");
        if info.clients.iter().all(|c| c.name != "attacker") {
            break;
        }
        assert!(
            left.elapsed() < Duration::from_millis(500),
            "the attacker's queued clears ran on after it left"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    bystander.check_for(Duration::from_millis(200), "after the attacker left");
}

/// A client that speaks raw frames and never reads what it is sent.
fn deaf_client(server: &TestDisplay) -> std::os::unix::net::UnixStream {
    use netui_protocol::connection::FrameReader;
    use netui_protocol::frame::{self, decode_message};
    use netui_protocol::{ClientHello, HelloOutcome, Limits, ServerHello};
    use std::io::{Read, Write};

    let mut stream = std::os::unix::net::UnixStream::connect(server.socket()).expect("connect");
    let hello = frame::encode_single(&ClientHello::new("deaf", None)).expect("hello");
    stream.write_all(&hello).expect("send hello");
    let mut reader = FrameReader::new(Limits::default());
    while !reader.has_frame().expect("a frame within the limits") {
        let n = stream.read(reader.spare()).expect("read");
        assert!(n > 0, "the server closed the connection");
        reader.filled(n);
    }
    let frame = reader.next_frame().expect("decodes").expect("whole");
    let mut bodies = frame.bodies;
    let body = bodies.next().expect("one message");
    let outcome = decode_message::<ServerHello>(body)
        .expect("decodes")
        .outcome;
    assert!(matches!(outcome, HelloOutcome::Accepted(_)), "welcomed");
    stream
}

#[test]
fn a_client_that_lets_replies_pile_up_is_disconnected_at_the_byte_limit() {
    use netui_protocol::frame::{BatchWriter, Compression};
    use netui_protocol::{Limits, Request, ResourceId};
    use std::io::Write;

    let limits = Limits {
        max_outbox_bytes: 2 << 20,
        ..Limits::default()
    };
    let server = TestDisplay::start_with_limits(":fair", Size::new(320, 240), limits);
    let mut bystander = Bystander::start(&server);
    let mut deaf = deaf_client(&server);
    deaf.set_nonblocking(true).expect("non-blocking");
    // Each reply is the screen: 300 KiB. 250 of them are 75 MiB unread.
    let mut writer = BatchWriter::new(Limits::default(), Compression::None);
    for _ in 0..250 {
        writer
            .push(&Request::GetImage {
                source: ResourceId::ROOT,
                area: None,
            })
            .expect("encode");
    }
    let bytes = writer.take_frames();
    // The server stops reading once it has disconnected the client: stop writing then.
    let mut sent = 0;
    let start = Instant::now();
    while sent < bytes.len() && start.elapsed() < Duration::from_secs(5) {
        match deaf.write(&bytes[sent..]) {
            Ok(n) => sent += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5))
            }
            Err(_) => break,
        }
    }
    let mut worst_outbox = 0;
    loop {
        bystander.check("while replies pile up");
        let info = bystander.display.server_info().expect("info");
        let deaf_client = info.clients.iter().find(|c| c.name == "deaf");
        let Some(client) = deaf_client else { break };
        worst_outbox = worst_outbox.max(client.outbox_bytes);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the deaf client is still connected, {} bytes waiting",
            client.outbox_bytes
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // One reply may go past the limit; nothing more waits for a client.
    let one_reply = 320 * 240 * 4 + 64;
    assert!(
        worst_outbox <= limits.max_outbox_bytes + one_reply,
        "{worst_outbox} bytes waited"
    );
    bystander.check("after the deaf client was dropped");
}

#[test]
fn pixels_of_all_clients_together_stay_under_the_servers_limit() {
    let limits = netui_protocol::Limits {
        max_client_pixels: 2 << 20,
        max_total_pixels: (5 << 20) / 2,
        ..netui_protocol::Limits::default()
    };
    let server = TestDisplay::start_with_limits(":fair", Size::new(320, 240), limits);
    let mut bystander = Bystander::start(&server);
    let welcome = bystander.display.welcome().limits;
    assert_eq!(
        welcome.max_total_pixels, limits.max_total_pixels,
        "in the welcome"
    );
    let mut first = server.connect("first");
    let mut second = server.connect("second");
    let mut third = server.connect("third");
    let side = Size::new(1024, 1024);
    first.create_pixmap(side).expect("id");
    first.sync().expect("1 Mpixel: room");
    second.create_pixmap(side).expect("id");
    second.sync().expect("2 Mpixels: room");
    third.create_pixmap(side).expect("id");
    let err = third.sync().expect_err("3 Mpixels: above the total");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::ResourceLimit),
        "{err}"
    );
    assert!(err.to_string().contains("server"), "{err}");
    bystander.check("at the limit");
    let info = bystander.display.server_info().expect("info");
    let held: u64 = info.clients.iter().map(|c| c.pixels).sum();
    assert!(held <= limits.max_total_pixels, "{held} pixels held");
    // What a client frees (here by leaving) is room for the others.
    drop(first);
    let start = Instant::now();
    loop {
        third.create_pixmap(side).expect("id");
        match third.sync() {
            Ok(()) => break,
            Err(e) if start.elapsed() < Duration::from_secs(2) => {
                assert_eq!(e.report().map(|r| r.code), Some(ErrorCode::ResourceLimit));
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("no room after the first client left: {e}"),
        }
    }
    bystander.check("after the third got its pixmap");
}

#[test]
fn server_info_with_many_long_titles_fits_in_a_frame() {
    let limits = netui_protocol::Limits {
        max_payload: 256 << 10,
        ..netui_protocol::Limits::default()
    };
    let server = TestDisplay::start_with_limits(":fair", Size::new(320, 240), limits);
    let mut bystander = Bystander::start(&server);
    let mut many = server.connect("many");
    let title = "t".repeat(4000);
    for i in 0..1500 {
        let w = many
            .create_window(Rect::new(i % 300, 100, 4, 4), &title, Color::WHITE)
            .expect("window");
        many.map(w);
    }
    many.sync().expect("1500 windows");
    bystander.check("with 1500 windows");
    // Before: 6 MB of titles in one reply, past the frame limit, and the asker was dropped.
    let info = bystander.display.server_info().expect("a reply that fits");
    assert!(info.windows_left_out > 0, "the list is capped");
    let listed: usize = info.clients.iter().map(|c| c.windows.len()).sum();
    assert_eq!(listed + info.windows_left_out as usize, 1501);
    assert_eq!(info.stack.len(), listed);
    let longest = info
        .clients
        .iter()
        .flat_map(|c| &c.windows)
        .map(|w| w.title.len())
        .max();
    assert_eq!(longest, Some(limits.max_info_title_len as usize));
    // The top of the stack is listed first: the newest window, and the bystander's (below).
    let newest = info.stack.last().copied();
    let many_windows = &info
        .clients
        .iter()
        .find(|c| c.name == "many")
        .expect("many")
        .windows;
    assert_eq!(many_windows.last().map(|w| w.id), newest);
    bystander.check("after the server info");
}
